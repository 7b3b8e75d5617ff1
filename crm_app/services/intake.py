"""Durable webhook intake (DESIGN §4 "Channels and sync rules", CHANNELS.md general rules).

A delivery is stored as a `ChannelEvent` and committed before the provider gets its 200; the
UNIQUE (channel, event_key) constraint makes a redelivery a no-op, also when 20 copies race.
Processing (parse → `sync_rules.apply_incoming`) is a separate step that may fail and be retried:
the stored bytes are never lost, the error and attempt count are kept on the row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from crm_app.db import read_session, write_session
from crm_app.models import ChannelEvent, FormConfig, utcnow
from crm_app.services import audit
from crm_app.services.channels import BadPayload, Channel, Lookups, StoredEvent, registry
from crm_app.services.channels.lookups import HttpLookups
from crm_app.services.sync_rules import apply_incoming

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"
IGNORED = "ignored"  # stored, understood, nothing for the CRM (echo, unfollow, ...)

MAX_ATTEMPTS = 5
# A "received" event older than this was stored but its processing never ran (process killed).
STALE_AFTER = timedelta(minutes=2)
# Processing runs on a few dedicated threads, not one per request: on SQLite every processor
# holds the write lock for a moment, and 40 of them queued on busy_timeout's coarse sleeps
# delayed the acknowledgements themselves (p99 > 600 ms at 100 deliveries/s).
PROCESSING_THREADS = 4
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


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in headers.items()}
    return {k: lowered[k][:512] for k in KEPT_HEADERS if k in lowered}


def record_event(session: Session, channel: str, event_key: str, body: bytes,
                 headers: dict[str, str], *, form_key: str = "") -> tuple[ChannelEvent, bool]:
    """Store one provider event and commit; (existing row, False) when it was already stored.
    `form_key`: the form a submission was posted to (forms only).

    No read-before-write: the INSERT itself decides, so concurrent redeliveries cannot both win."""
    event = ChannelEvent(channel=channel, form_key=form_key, event_key=event_key[:255], body=body,
                         headers=kept_headers(headers), status=RECEIVED)
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
            session.add(locked)
            return locked.status
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the event for a retry
        log.warning("channel event %s failed: %s: %s", event_id, type(exc).__name__, exc)
        _mark_failed(engine, event_id, f"{type(exc).__name__}: {exc}")
        return FAILED


def _mark_failed(engine: Engine, event_id: int, error: str) -> None:
    try:
        with write_session(engine) as session:
            event = session.get(ChannelEvent, event_id)
            if event is not None and event.status not in (PROCESSED, IGNORED):
                event.status = FAILED
                event.attempts += 1
                event.error = error[:2000]
                session.add(event)
    except Exception:  # noqa: BLE001 - the row stays "received": retry_failed picks it up as stale
        log.exception("could not record the failure of channel event %s", event_id)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def submit(engine: Engine, event_id: int) -> None:
    """Process a stored event soon, off the request. If the process dies first, the event stays
    "received" and `retry_failed` picks it up once stale: the row, not this queue, is the record."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(PROCESSING_THREADS, thread_name_prefix="intake")
    _executor.submit(process_event, engine, event_id)


@dataclass
class RetryResult:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retry_failed(engine: Engine, limit: int = 500, lookups: Lookups | None = None) -> RetryResult:
    """Reprocess failed events (under MAX_ATTEMPTS) and stale received ones, oldest first."""
    stale = utcnow() - STALE_AFTER
    with read_session(engine) as session:
        ids = list(session.exec(
            select(ChannelEvent.id)
            .where(((ChannelEvent.status == FAILED) & (ChannelEvent.attempts < MAX_ATTEMPTS))
                   | ((ChannelEvent.status == RECEIVED) & (col(ChannelEvent.received_at) < stale)))
            .order_by(col(ChannelEvent.id)).limit(limit)))
    result = RetryResult()
    for event_id in ids:
        assert event_id is not None
        status = process_event(engine, event_id, lookups)
        result.counts[status] = result.counts.get(status, 0) + 1
    return result
