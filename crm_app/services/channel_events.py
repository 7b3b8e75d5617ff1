"""The admin's view of channel events: recent deliveries, their outcome, and a retry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from crm_app.i18n import UserError
from crm_app.models import ChannelEvent
from crm_app.services import clock, intake
from crm_app.services.auth import Actor, require_admin
from crm_app.services.channels import registry

STATUSES = (intake.RECEIVED, intake.PROCESSED, intake.FAILED, intake.IGNORED)


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


def _label(channel: str, form_key: str) -> str:
    label = registry.label(channel)
    return f"{label} · {form_key}" if form_key else label


def recent(session: Session, actor: Actor, *, status: str | None = None, limit: int = 100) -> list[EventRow]:
    require_admin(actor)
    e = ChannelEvent
    query = select(*(col(c) for c in (e.id, e.channel, e.status, e.received_at, e.attempts, e.error,
                                       e.raw_lead_id, e.lead_id, e.form_key)))
    if status in STATUSES:
        query = query.where(col(ChannelEvent.status) == status)
    tz = clock.zone(session)
    rows = session.execute(query.order_by(col(ChannelEvent.id).desc()).limit(limit)).all()
    return [EventRow(id=r[0] or 0, channel=r[1], channel_label=_label(r[1], r[8]), status=r[2],
                     received_at=clock.fmt_datetime(r[3], tz, "%d/%m %H:%M:%S"), attempts=r[4],
                     error=(r[5] or "")[:300], raw_lead_id=r[6], lead_id=r[7]) for r in rows]


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
