"""Durable webhook intake (DESIGN §4 "Channels and sync rules", CHANNELS.md general rules).

A delivery is stored as a `ChannelEvent` and committed before the provider gets its 200; the
UNIQUE (channel, event_key) constraint makes a redelivery a no-op, also when 20 copies race.
Processing (parse → `sync_rules.apply_incoming`) is a separate step, a task on the queue
(services/tasks.py), that may fail and be retried: the stored bytes are never lost, the error and
attempt count are kept on the row, and `next_attempt_at` says when the sweep must re-enqueue an
event that is still unfinished (its message lost, its retry overdue).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from crm_app.db import read_session, write_session
from crm_app.models import ChannelEvent, FormConfig, utcnow
from crm_app.services import audit
from crm_app.services.channels import BadPayload, Channel, Lookups, StoredEvent, registry
from crm_app.services.channels.lookups import HttpLookups
from crm_app.services.sync_rules import apply_incoming
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"
IGNORED = "ignored"  # stored, understood, nothing for the CRM (echo, unfollow, ...)

MAX_ATTEMPTS = 5
BACKOFF = 3  # each automatic retry waits this many times longer than the one before
# Headers kept with the event: what parsing needs and what helps an investigation, never secrets.
KEPT_HEADERS = ("content-type", "user-agent", "x-timestamp", "idempotency-key")


# SQLite has one writer at a time and its busy handler waits in sleeps of up to 100 ms, so threads
# of this process racing for the lock starved each other (bench: p99 630 ms at 100/s). Queuing them
# on an in-process lock hands the database over at once; other processes still use busy_timeout.
_sqlite_writes = threading.Lock()


@contextmanager
def _write_gate(dialect: str) -> Iterator[None]:
    with _sqlite_writes if dialect == "sqlite" else nullcontext():
        yield


class TransientFailure(Exception):
    """An attempt failed for a reason that may pass (network, database busy, a provider's API):
    retry after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"retry in {delay:.0f} s")
        self.delay = delay


def retry_delay(attempts: int) -> float:
    """Seconds before the next automatic attempt, after `attempts` failed ones."""
    return get_settings().event_retry_delay * BACKOFF ** max(0, attempts - 1)


def _stale_after() -> timedelta:
    return timedelta(seconds=get_settings().queue_stale_seconds)


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in headers.items()}
    return {k: lowered[k][:512] for k in KEPT_HEADERS if k in lowered}


def record_event(session: Session, channel: str, event_key: str, body: bytes,
                 headers: dict[str, str], *, form_key: str = "") -> tuple[ChannelEvent, bool]:
    """Store one provider event and commit; (existing row, False) when it was already stored.
    `form_key`: the form a submission was posted to (forms only).

    No read-before-write: the INSERT itself decides, so concurrent redeliveries cannot both win."""
    event = ChannelEvent(channel=channel, form_key=form_key, event_key=event_key[:255], body=body,
                         headers=kept_headers(headers), status=RECEIVED, next_attempt_at=utcnow() + _stale_after())
    session.add(event)
    try:
        with _write_gate(session.get_bind().dialect.name):
            session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.exec(select(ChannelEvent).where(ChannelEvent.channel == channel,
                                                           ChannelEvent.form_key == form_key,
                                                           ChannelEvent.event_key == event_key[:255])).one()
        return existing, False
    return event, True


def _channel(event: ChannelEvent) -> Channel:
    channel = registry.get(event.channel)
    if channel is None:
        raise BadPayload(f"unknown channel {event.channel!r}")
    return channel


def _form_of(session: Session, event: ChannelEvent) -> FormConfig | None:
    if not event.form_key:
        return None
    return session.exec(select(FormConfig).where(FormConfig.key == event.form_key)).first()


def process_event(engine: Engine, event_id: int, lookups: Lookups | None = None) -> str:
    """Parse the stored event and apply the sync rules; returns the event's final status.

    Look-ups over the network run outside any transaction; the rules run in one write transaction
    that first re-checks the event under lock, so a retry racing the first attempt applies once."""
    try:
        return attempt(engine, event_id, lookups)
    except TransientFailure:
        return FAILED


def attempt(engine: Engine, event_id: int, lookups: Lookups | None = None) -> str:
    """`process_event` for the queue: a failure worth retrying (anything but a payload that can
    never be understood, `BadPayload`) raises TransientFailure while attempts remain."""
    with read_session(engine) as session:
        event = session.get(ChannelEvent, event_id)
        if event is None or event.status in (PROCESSED, IGNORED):
            return event.status if event is not None else IGNORED
        form = _form_of(session, event)
    try:
        channel = _channel(event)
        people = channel.parse(StoredEvent(event.body, event.headers, form), lookups or HttpLookups())
        with _write_gate(engine.dialect.name), write_session(engine) as session:
            locked = session.exec(select(ChannelEvent).where(ChannelEvent.id == event_id).with_for_update()).one()
            if locked.status in (PROCESSED, IGNORED):
                return locked.status
            text = channel.message_text(locked.body)
            for person in people:
                decision = apply_incoming(session, person, source=f"channel:{person.channel}")
                locked.raw_lead_id = decision.raw_lead_id or locked.raw_lead_id
                locked.lead_id = decision.lead_id or locked.lead_id
                if text:  # what the person wrote goes on the record's timeline
                    entity, entity_id = (("raw_lead", decision.raw_lead_id) if decision.raw_lead_id
                                         else ("lead", decision.lead_id))
                    if entity_id:
                        audit.record(session=session, entity=entity, entity_id=entity_id, action="message",
                                     user_id=None, source=f"channel:{person.channel}",
                                     changes={"message": text[:2000]})
            locked.status = PROCESSED if people else IGNORED
            locked.attempts += 1
            locked.error = None
            locked.processed_at = utcnow()
            locked.next_attempt_at = None
            session.add(locked)
            return locked.status
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the event for a retry
        log.warning("channel event %s failed: %s: %s", event_id, type(exc).__name__, exc)
        delay = _mark_failed(engine, event_id, f"{type(exc).__name__}: {exc}", final=isinstance(exc, BadPayload))
        if delay is not None:
            raise TransientFailure(delay) from exc
        return FAILED


def _mark_failed(engine: Engine, event_id: int, error: str, *, final: bool) -> float | None:
    """Record a failed attempt; the delay before the next one, or None when there is none
    (a permanent failure, or MAX_ATTEMPTS reached: the channel-events screen shows it)."""
    try:
        with write_session(engine) as session:
            event = session.get(ChannelEvent, event_id)
            if event is None or event.status in (PROCESSED, IGNORED):
                return None
            event.status = FAILED
            event.attempts += 1
            event.error = error[:2000]
            delay = None if final or event.attempts >= MAX_ATTEMPTS else retry_delay(event.attempts)
            # The sweep's fallback comes after the queue's own retry should have run.
            event.next_attempt_at = None if delay is None else utcnow() + timedelta(seconds=delay) + _stale_after()
            session.add(event)
            return delay
    except Exception:  # noqa: BLE001 - the row keeps its next_attempt_at: the sweep re-enqueues it
        log.exception("could not record the failure of channel event %s", event_id)
        return retry_delay(1)


def due_events(engine: Engine, now: datetime, limit: int = 1000) -> list[int]:
    """Unfinished events the sweep must re-enqueue (their message lost, their retry overdue),
    oldest first; each is due again one stale period later, so a long backlog is not re-enqueued
    on every pass."""
    with write_session(engine) as session:
        ids = [i for i in session.exec(
            select(ChannelEvent.id).where(col(ChannelEvent.next_attempt_at) <= now,
                                          col(ChannelEvent.status).in_((RECEIVED, FAILED)))
            .order_by(col(ChannelEvent.next_attempt_at)).limit(limit)) if i is not None]
        if ids:
            session.execute(update(ChannelEvent.__table__).where(  # type: ignore[attr-defined]
                ChannelEvent.__table__.c.id.in_(ids)).values(next_attempt_at=now + _stale_after()))  # type: ignore[attr-defined]
    return ids


@dataclass
class RetryResult:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retry_failed(engine: Engine, limit: int = 500, lookups: Lookups | None = None) -> RetryResult:
    """Reprocess failed events (under MAX_ATTEMPTS) and stale received ones, oldest first, now and
    in this process: a manual tool (`crm inbox retry`); the queue retries on its own."""
    stale = utcnow() - _stale_after()
    with read_session(engine) as session:
        ids = list(session.exec(
            select(ChannelEvent.id)
            .where(((col(ChannelEvent.status) == FAILED) & (col(ChannelEvent.attempts) < MAX_ATTEMPTS))
                   | ((col(ChannelEvent.status) == RECEIVED) & (col(ChannelEvent.received_at) < stale)))
            .order_by(col(ChannelEvent.id)).limit(limit)))
    result = RetryResult()
    for event_id in ids:
        assert event_id is not None
        status = process_event(engine, event_id, lookups)
        result.counts[status] = result.counts.get(status, 0) + 1
    return result
