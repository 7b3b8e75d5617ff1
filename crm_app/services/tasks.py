"""Background work on a task queue (Huey): channel events, imports and scheduled jobs.

The queue carries the work; the database rows are the record (an event, an import job and its
checkpoint). A message may be lost — Redis stopped, a consumer killed mid-task — and nothing with
it: `sweep` re-enqueues what the rows say is unfinished, and every task is safe to run twice
(an event is re-checked under lock, an import is claimed and resumes from its checkpoint).

Storage: Redis when the app has one (`make run-scaled`, `crm worker` on other machines), else a
SQLite file beside the database (`make run`, where the app starts its own consumer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.exceptions import RetryTask
from redis import ConnectionPool
from sqlalchemy.engine import Engine

from crm_app.db import get_engine, write_session
from crm_app.i18n import UserError
from crm_app.models import utcnow
from crm_app.services import activities, importer, intake, retention, zalo_oa
from crm_app.services.importer.jobs import jobs_to_resume
from crm_app.services.importer.lock import expire_locks
from crm_app.settings import get_settings

log = logging.getLogger(__name__)
NAME = "crm"


@dataclass(frozen=True)
class Queue:
    huey: Huey
    process_event: TaskWrapper
    run_import: TaskWrapper


_queue: Queue | None = None
_queue_lock = threading.Lock()


def queue() -> Queue:
    """This process's queue, built from the settings on first use."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = _build(get_settings().queue_url)
        return _queue


def reset() -> None:
    """Forget the queue (tests that change the settings)."""
    global _queue
    with _queue_lock:
        _queue = None


def _engine() -> Engine:
    return get_engine(get_settings().database_url)  # get_engine() is cached under None, whatever the URL


def _storage(url: str) -> Huey:
    if url.startswith("redis"):
        # Fail fast when Redis is down (the webhook has answered already; the sweep catches up);
        # the read timeout must outlast the consumer's blocking pop (1 s).
        pool = ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)
        return RedisHuey(NAME, connection_pool=pool, results=False, utc=True)
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=str(path), results=False, utc=True, timeout=30)


def _build(url: str) -> Queue:
    huey = _storage(url)

    @huey.task(name="process_event")
    def process_event(event_id: int) -> None:
        try:
            intake.attempt(_engine(), event_id)
        except intake.TransientFailure as exc:  # the row counts the attempts and stops them
            raise RetryTask(delay=exc.delay) from exc

    @huey.task(name="run_import")
    def run_import(job_id: int) -> None:
        try:
            importer.run_job(_engine(), job_id)
        except UserError as exc:  # recorded on the job, or another worker holds it: nothing to retry
            log.info("import %s: %s", job_id, exc.message())

    for name, schedule, job in PERIODIC:
        huey.periodic_task(schedule, name=name)(job)
    return Queue(huey, process_event, run_import)


def enqueue_event(event_id: int) -> bool:
    """Queue a stored event's processing; False if the queue is unreachable (the row stays
    unfinished and the sweep enqueues it once the queue is back)."""
    return _enqueue(lambda: queue().process_event(event_id), "event", event_id)


def enqueue_import(job_id: int) -> bool:
    """Queue a created import job; False if the queue is unreachable (the sweep catches up)."""
    return _enqueue(lambda: queue().run_import(job_id), "import", job_id)


def _enqueue(send: Callable[[], Any], kind: str, ident: int) -> bool:
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - the row is the record; never fail the caller for the queue
        log.warning("queue unavailable, %s %s left to the sweep: %s: %s", kind, ident, type(exc).__name__, exc)
        return False
    return True


def sweep() -> dict[str, int]:
    """Re-enqueue what the rows say is unfinished: events whose message was lost or whose retry is
    overdue, and imports that are pending or whose worker stopped sending heartbeats (resumed
    from their checkpoint). Imports that cannot be resumed end "failed" and release their lock."""
    engine = _engine()
    events = intake.due_events(engine, utcnow())
    sent = sum(enqueue_event(event_id) for event_id in events)
    jobs = jobs_to_resume(engine)
    resumed = sum(enqueue_import(job_id) for job_id in jobs)
    if events or jobs:
        log.info("sweep: %s/%s events and %s/%s imports re-enqueued", sent, len(events), resumed, len(jobs))
    return {"events": sent, "imports": resumed}


def expire_import_locks() -> None:
    with write_session(_engine()) as session:
        if expire_locks(session):
            log.info("an abandoned import lock was released")


def delete_expired_files() -> None:
    removed = retention.delete_expired_files(_engine())
    if removed:
        log.info("retention: %s import files deleted", removed)


def remind_due_tasks() -> None:
    with write_session(_engine()) as session:
        sent = activities.remind_due_tasks(session)
    if sent:
        log.info("reminders: %s task notifications", sent)


def refresh_zalo_oa_token() -> None:
    """Renew the Zalo OA access token while it has 2 hours left (it lives ~25 h): the refresh takes
    a lease in the database, so consumers running this at the same minute spend the token once."""
    zalo_oa.refresh_if_due(_engine())


# Scheduled jobs (Huey periodic tasks, minute resolution); every consumer schedules them, so each
# must be harmless to run twice.
# The sweep is not here: it runs every CRM_QUEUE_SWEEP_SECONDS from each consumer (services/worker.py).
PERIODIC: list[tuple[str, crontab, Callable[[], None]]] = [
    ("expire_import_locks", crontab(minute="*/5"), expire_import_locks),
    ("delete_expired_files", crontab(minute="17", hour="*"), delete_expired_files),
    ("refresh_zalo_oa_token", crontab(minute="*/30"), refresh_zalo_oa_token),
    # Every minute, so a task due within 15 minutes is announced 14-15 minutes ahead.
    ("remind_due_tasks", crontab(minute="*"), remind_due_tasks),
]
