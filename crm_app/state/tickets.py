"""State of the Ticket list and detail."""

from __future__ import annotations

from datetime import tzinfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.i18n import UserError
from crm_app.models import Ticket
from crm_app.services import clock, tickets
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.display import user_names
from crm_app.state.auth import AuthState, logged_in, read, write


def _row(ticket: Ticket, users: dict[int, str], tz: tzinfo) -> dict[str, str]:
    return {"id": str(ticket.id), "subject": ticket.subject, "channel": ticket.channel, "status": ticket.status,
            "assignee": users.get(ticket.assigned_to_id or 0, ""),
            "raw_lead_id": str(ticket.raw_lead_id or ""), "lead_id": str(ticket.lead_id or ""),
            "created_at": clock.fmt_datetime(ticket.created_at, tz),
            "description": ticket.description or ""}


Found = tuple[list[Ticket], dict[int, str], tzinfo]


def _with_names(session: Session, found: list[Ticket]) -> Found:
    """The tickets, their assignees' names and the organisation's zone (for the times shown)."""
    return found, user_names(session, {t.assigned_to_id for t in found if t.assigned_to_id}), clock.zone(session)


def _listing(session: Session, actor: Actor, status: str | None) -> Found:
    return _with_names(session, tickets.list_tickets(session, actor, status=status))


def _one(session: Session, actor: Actor, ticket_id: int) -> Found:
    return _with_names(session, [tickets.get_ticket(session, actor, ticket_id)])


class TicketState(AuthState):
    rows: list[dict[str, str]] = []
    status_filter: str = "all"
    ticket: dict[str, str] = {}
    statuses: list[str] = list(tickets.TICKET_STATUSES)

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        found, users, tz = await read(_listing, actor, None if self.status_filter == "all" else self.status_filter)
        self.rows = [_row(t, users, tz) for t in found]

    @rx.event
    @logged_in
    async def filter_status(self, actor: Actor, value: str) -> None:
        self.status_filter = value if value in (*tickets.TICKET_STATUSES, "all") else "all"
        await self._load(actor)

    @rx.event
    @logged_in
    async def load_detail(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        ticket_id = routes.record_id_from_path(self.router.url.path, routes.TICKETS)
        try:
            found, users, tz = await read(_one, actor, ticket_id)
        except UserError as exc:
            return [rx.redirect(routes.TICKETS), rx.toast.error(exc.message(self.locale))]
        self.ticket = _row(found[0], users, tz)
        return None

    @rx.event
    @logged_in
    async def set_status(self, actor: Actor, status: str) -> EventSpec | None:
        if not self.ticket:
            return None
        await write(tickets.set_status, actor, int(self.ticket["id"]), status)
        self.ticket = {**self.ticket, "status": status}
        return rx.toast.success(self._t("settings.saved"))
