"""Tickets: opened automatically for channel submissions (sync config, tab "Tạo ticket tự
động") so customer care can handle them; visible to admins and to their assignee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from crm_app.i18n import UserError, t
from crm_app.models import Lead, RawLead, Ticket, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor
from crm_app.services.incoming import IncomingPerson
from crm_app.services.phones import display_phone, phone_key
from crm_app.services.raw_leads.query import time_bounds
from crm_app.services.sync_settings import SyncSettings

TICKET_NEW = "Mới"
TICKET_IN_PROGRESS = "Đang xử lý"
TICKET_DONE = "Đã xong"
TICKET_STATUSES = (TICKET_NEW, TICKET_IN_PROGRESS, TICKET_DONE)


def _person_name(person: IncomingPerson) -> str:
    parts = (person.full_name or " ".join(p for p in (person.last_name, person.first_name) if p)
             or person.zalo_name or person.facebook_name or display_phone(phone_key(person.phone))
             or person.email or "")
    return parts.strip()


def maybe_open_ticket(session: Session, settings: SyncSettings, person: IncomingPerson,
                      raw_lead_id: int | None, lead_id: int | None, assignee: int | None
                      ) -> Ticket | None:
    """A ticket when the person's channel has tickets switched on; for chatbots only once the
    script is finished. Nothing is opened when the rules stored no record to link it to."""
    channel = person.ticket_channel
    if channel is None or not settings.tickets.get(channel):
        return None
    if channel == "chatbot" and not person.chatbot_finished:
        return None
    if raw_lead_id is None and lead_id is None:
        return None
    lines = [f"{k}: {v}" for k, v in (("phone", person.phone), ("email", person.email),
                                      ("street", person.street), ("province", person.province))
             if v]
    lines += [f"{k}: {v}" for k, v in person.extra.items() if v]
    subject = t("sync.ticket.subject", channel=person.channel, name=_person_name(person) or "-")
    ticket = Ticket(subject=subject[:255], channel=person.channel[:64], raw_lead_id=raw_lead_id,
                    lead_id=lead_id, assigned_to_id=assignee, status=TICKET_NEW,
                    description="\n".join(lines) or None)
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    audit.record(session=session, entity="ticket", entity_id=ticket.id, action="created", user_id=None,
                 source=f"channel:{person.channel}"[:64],
                 changes={"raw_lead_id": [None, raw_lead_id], "lead_id": [None, lead_id]})
    return ticket


def _can_see(actor: Actor, ticket: Ticket) -> bool:
    return actor.is_admin or ticket.assigned_to_id == actor.id


@dataclass
class TicketQuery:
    """Filters of the ticket list (empty: no filter). Phones are E.164, the email lower-case: they
    find the tickets of the raw leads and leads with that number or address."""

    search: str = ""  # in the subject, case-insensitive
    status: str = ""
    channel: str = ""
    assigned_to_id: int | None = None
    mobile: str = ""
    phone: str = ""
    email: str = ""
    modified_since: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def filtered(session: Session, actor: Actor, query: TicketQuery) -> list[ColumnElement[bool]]:
    """WHERE clauses for the query; a user sees only the tickets assigned to them."""
    where: list[ColumnElement[bool]] = [] if actor.is_admin else [col(Ticket.assigned_to_id) == actor.id]
    for key in ("status", "channel"):
        if value := getattr(query, key):
            where.append(getattr(Ticket, key) == value)
    if query.assigned_to_id is not None:
        where.append(col(Ticket.assigned_to_id) == query.assigned_to_id)
    if query.search:
        where.append(func.lower(Ticket.subject).contains(query.search.lower(), autoescape=True))
    contact = [(k, getattr(query, k)) for k in ("mobile", "phone") if getattr(query, k)]
    if query.email:
        contact.append(("email_key", query.email))
    for key, value in contact:
        where.append(or_(col(Ticket.raw_lead_id).in_(select(RawLead.id).where(getattr(RawLead, key) == value)),
                         col(Ticket.lead_id).in_(select(Lead.id).where(getattr(Lead, key) == value))))
    return where + time_bounds(Ticket, query)


def list_tickets(session: Session, actor: Actor, *, status: str | None = None, limit: int = 200
                 ) -> list[Ticket]:
    """Newest first."""
    query = select(Ticket).where(*filtered(session, actor, TicketQuery(status=status or "")))
    order = (col(Ticket.created_at).desc(), col(Ticket.id).desc())
    return list(session.exec(query.order_by(*order).limit(max(1, min(limit, 1000)))))


def get_ticket(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    # Same answer for "missing" and "not yours": do not reveal which ids exist.
    if ticket is None or not _can_see(actor, ticket):
        raise UserError("sync.ticket.not_found")
    return ticket


def set_status(session: Session, actor: Actor, ticket_id: int, status: str) -> Ticket:
    if status not in TICKET_STATUSES:
        raise UserError("sync.ticket.invalid_status")
    ticket = get_ticket(session, actor, ticket_id)
    if ticket.status != status:
        audit.record(session=session, entity="ticket", entity_id=ticket_id, action="updated",
                     user_id=actor.id, source="manual", changes={"status": [ticket.status, status]})
        ticket.status = status
        ticket.modified_at = utcnow()
        session.add(ticket)
    return ticket
