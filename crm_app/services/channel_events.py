"""The admin's view of channel events: recent deliveries, their outcome, and a retry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from crm_app.i18n import UserError
from crm_app.models import ChannelEvent, Lead, RawLead
from crm_app.services import clock, intake
from crm_app.services.auth import Actor, require_admin
from crm_app.services.channels import registry

STATUSES = (intake.RECEIVED, intake.PROCESSED, intake.FAILED, intake.IGNORED)
# Not a status: processed deliveries whose record has no phone and no e-mail (DESIGN §4 rule 3 made
# the record anyway, from a Zalo id, a PSID or a name); the admin's list of people to complete.
NO_CONTACT = "no_contact"
FILTERS = (*STATUSES, NO_CONTACT)


@dataclass(frozen=True)
class EventRow:
    id: int
    channel: str
    channel_label: str  # the channel's product name, and the form's key for a form submission
    status: str
    received_at: str
    attempts: int
    error: str
    raw_lead_id: int | None
    lead_id: int | None
    no_contact: bool = False


def _label(channel: str, form_key: str) -> str:
    label = registry.label(channel)
    return f"{label} · {form_key}" if form_key else label


def recent(session: Session, actor: Actor, *, status: str | None = None, limit: int = 100) -> list[EventRow]:
    require_admin(actor)
    e = ChannelEvent
    # The records the delivery made or updated (outer joins: a missing one reads as all NULL) and
    # whether any of them can be called or written to.
    no_contact = and_(col(e.status) == intake.PROCESSED,
                      col(RawLead.mobile).is_(None), col(RawLead.phone).is_(None), col(RawLead.email).is_(None),
                      col(Lead.mobile).is_(None), col(Lead.phone).is_(None), col(Lead.email).is_(None),
                      col(RawLead.id).isnot(None) | col(Lead.id).isnot(None))
    query = (select(*(col(c) for c in (e.id, e.channel, e.status, e.received_at, e.attempts, e.error,
                                        e.raw_lead_id, e.lead_id, e.form_key)), no_contact)
             .outerjoin(RawLead, col(RawLead.id) == col(e.raw_lead_id))
             .outerjoin(Lead, col(Lead.id) == col(e.lead_id)))
    if status in STATUSES:
        query = query.where(col(ChannelEvent.status) == status)
    elif status == NO_CONTACT:
        query = query.where(no_contact)
    tz = clock.zone(session)
    rows = session.execute(query.order_by(col(ChannelEvent.id).desc()).limit(limit)).all()
    return [EventRow(id=r[0] or 0, channel=r[1], channel_label=_label(r[1], r[8]), status=r[2],
                     received_at=clock.fmt_datetime(r[3], tz, "%d/%m %H:%M:%S"), attempts=r[4],
                     error=(r[5] or "")[:300], raw_lead_id=r[6], lead_id=r[7], no_contact=bool(r[9]))
            for r in rows]


def retry(engine: Engine, actor: Actor, event_id: int) -> str:
    """Process one stored event again now (the admin's "Thử lại"); returns its new status."""
    require_admin(actor)
    with Session(engine) as session:
        event = session.get(ChannelEvent, event_id)
        if event is None:
            raise UserError("channel_ui.not_found")
        if event.status not in (intake.FAILED, intake.RECEIVED):
            raise UserError("channel_ui.not_retryable")
    return intake.process_event(engine, event_id)
