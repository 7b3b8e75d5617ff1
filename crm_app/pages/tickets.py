"""Ticket module: list with a status filter, and the detail with its raw lead / lead."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.tickets import TicketState as S


def _row(t: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(t["subject"], href=routes.ticket(t["id"]))),
        rx.table.cell(t["channel"]), rx.table.cell(rx.badge(t["status"])), rx.table.cell(t["assignee"]),
        rx.table.cell(t["created_at"]))


@crm_page(routes.TICKETS, "Ticket", on_load=S.load)
def tickets() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.tickets.title"]),
        rx.select.root(rx.select.trigger(),
                       rx.select.content(rx.select.item(tr["ticket.all"], value="all"),
                                         rx.foreach(S.statuses, lambda s: rx.select.item(s, value=s))),
                       value=S.status_filter, on_change=S.filter_status),
        rx.cond(S.rows.length() > 0, rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(tr[k]) for k in (
                "ticket.subject", "ticket.channel", "users.status", "ticket.assignee", "ticket.created")])),
            rx.table.body(rx.foreach(S.rows, _row)), width="100%", variant="surface"),
            rx.center(rx.text(tr["ticket.empty"], color_scheme="gray"), padding="3rem", width="100%")),
        width="100%", spacing="3",
    )


@crm_page(routes.TICKET_PAGE, "Ticket", on_load=S.load_detail)
def ticket_detail() -> rx.Component:
    tr = AuthState.tr
    t = S.ticket
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), tr["page.tickets.title"], align="center"),
                href=routes.TICKETS, size="2"),
        rx.heading(t.get("subject", ""), size="6"),
        rx.card(rx.vstack(
            rx.hstack(rx.text(tr["ticket.channel"], weight="bold", size="2"), rx.text(t.get("channel", ""), size="2")),
            rx.hstack(rx.text(tr["ticket.assignee"], weight="bold", size="2"),
                      rx.text(t.get("assignee", ""), size="2")),
            rx.hstack(rx.text(tr["ticket.created"], weight="bold", size="2"),
                      rx.text(t.get("created_at", ""), size="2")),
            rx.cond(t.get("raw_lead_id", "") != "", rx.link(tr["nav.raw_leads"] + " #" + t.get("raw_lead_id", ""),
                                                            href=routes.raw_lead(t.get("raw_lead_id", "")))),
            rx.cond(t.get("lead_id", "") != "", rx.link(tr["nav.leads"] + " #" + t.get("lead_id", ""),
                                                        href=routes.lead(t.get("lead_id", "")))),
            rx.text(t.get("description", ""), size="2"),
            rx.hstack(rx.text(tr["users.status"], weight="bold", size="2"),
                      rx.select(S.statuses, value=t.get("status", ""), on_change=S.set_status), align="center"),
            spacing="2"), width="100%", max_width="720px"),
        width="100%", spacing="3",
    )
