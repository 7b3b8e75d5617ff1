"""Lead module: the list (the raw-lead table component) and the detail with its raw lead."""

import reflex as rx

from crm_app import routes
from crm_app.components.data_table import data_table
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.leads import LeadDetailState as D
from crm_app.state.leads import LeadListState as S


@crm_page(routes.LEADS, "Lead", on_load=S.load)
def leads() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.leads.title"]),
        rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=tr["list.search"], value=S.search,
                 on_change=S.set_search.debounce(300), width="100%", max_width="340px",
                 id="lead-search"),
        rx.cond(S.rows.length() > 0,
                data_table(rows=S.rows, columns=S.columns, labels=S.labels, sort=S.sort,
                           descending=S.descending, on_sort=S.sort_by, selected=S.selected,
                           all_selected=False, on_toggle_row=S.toggle_row, on_toggle_all=S.toggle_all,
                           link_for=routes.lead, name_label=tr["list.name"],
                           table_id="leads-table"),
                rx.center(rx.text(tr["list.empty"], color_scheme="gray"), padding="3rem", width="100%")),
        rx.text(S.total.to_string() + " Lead", size="2", color_scheme="gray"),
        width="100%", spacing="3",
    )


@crm_page(routes.LEAD_PAGE, "Lead", on_load=D.load)
def lead_detail() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), tr["page.leads.title"], align="center"), href=routes.LEADS,
                size="2"),
        rx.hstack(rx.heading(D.title, size="6", id="lead-title"), rx.badge(D.status, size="2"),
                  rx.cond(D.raw_lead_id > 0, rx.link(tr["lead.from_raw"] + " #" + D.raw_lead_id.to_string(),
                                                     href=routes.raw_lead(D.raw_lead_id),
                                                     id="lead-raw-link")),
                  rx.spacer(),
                  rx.link(rx.button(rx.icon("pencil", size=14), tr["detail.edit"], variant="soft"),
                          href=routes.lead_edit(D.lead_id), id="lead-edit"),
                  align="center", spacing="3", width="100%", wrap="wrap"),
        rx.grid(
            rx.vstack(
                rx.card(rx.grid(rx.foreach(D.items, lambda it: rx.vstack(
                    rx.text(it["label"], size="1", color_scheme="gray"),
                    rx.text(rx.cond(it["value"] != "", it["value"], "—"), size="2", overflow_wrap="anywhere"),
                    spacing="0")),
                    columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"), width="100%"),
                rx.card(rx.vstack(
                    rx.heading(tr["form.section.description"], size="3"),
                    rx.text(rx.cond(D.description != "", D.description, "—"), size="2", white_space="pre-wrap",
                            id="lead-description"),
                    width="100%"), width="100%"),
                spacing="3", width="100%"),
            rx.card(rx.vstack(rx.heading(tr["detail.timeline"], size="3"),
                              rx.foreach(D.events, lambda e: rx.vstack(
                                  rx.text(rx.text.strong(e["who"]), " ", e["action"],
                                          rx.cond(e["source"] != "", " · " + e["source"], ""), size="2"),
                                  rx.text(e["when"], size="1", color_scheme="gray"), spacing="0")),
                              spacing="3")),
            columns=rx.breakpoints(initial="1", lg="3fr 1fr"), spacing="4", width="100%"),
        width="100%", spacing="3",
    )
