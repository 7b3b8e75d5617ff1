"""State of the Ticket list and detail."""

from __future__ import annotations

from datetime import tzinfo

import reflex as rx

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import Ticket
from crm_app.services import clock, tickets
from crm_app.services.raw_leads import user_names
from crm_app.state.auth import AuthState


def _row(ticket: Ticket, users: dict[int, str], tz: tzinfo) -> dict[str, str]:
    return {"id": str(ticket.id), "subject": ticket.subject, "channel": ticket.channel, "status": ticket.status,
            "assignee": users.get(ticket.assigned_to_id or 0, ""),
            "raw_lead_id": str(ticket.raw_lead_id or ""), "lead_id": str(ticket.lead_id or ""),
            "created_at": clock.fmt_datetime(ticket.created_at, tz),
            "description": ticket.description or ""}


class TicketState(AuthState):
    rows: list[dict[str, str]] = []
    status_filter: str = "all"
    ticket: dict[str, str] = {}
    statuses: list[str] = list(tickets.TICKET_STATUSES)

    @rx.event
    def load(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        with read_session() as session:
            found = tickets.list_tickets(session, actor,
                                         status=None if self.status_filter == "all" else self.status_filter)
            users = user_names(session, {t.assigned_to_id for t in found if t.assigned_to_id})
            tz = clock.zone(session)
        self.rows = [_row(t, users, tz) for t in found]

    @rx.event
    def filter_status(self, value: str) -> None:
        self.status_filter = value if value in (*tickets.TICKET_STATUSES, "all") else "all"
        self.load()

    @rx.event
    def load_detail(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None:
            return None
        parts = [p for p in self.router.url.path.split("/") if p]
        ticket_id = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
        try:
            with read_session() as session:
                ticket = tickets.get_ticket(session, actor, ticket_id)
                users = user_names(session, {ticket.assigned_to_id or 0})
                tz = clock.zone(session)
        except UserError as exc:
            return [rx.redirect(routes.TICKETS), rx.toast.error(exc.message(self.locale))]
        self.ticket = _row(ticket, users, tz)
        return None

    @rx.event
    def set_status(self, status: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None or not self.ticket:
            return None
        try:
            with write_session() as session:
                tickets.set_status(session, actor, int(self.ticket["id"]), status)
        except (UserError, ValueError) as exc:
            return rx.toast.error(exc.message(self.locale) if isinstance(exc, UserError) else str(exc))
        self.ticket = {**self.ticket, "status": status}
        return rx.toast.success(self._t("settings.saved"))
