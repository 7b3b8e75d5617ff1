"""The import lock: one unfinished import per module, across users and workers (DESIGN §4, §6).

Taken atomically in the database (INSERT ... ON CONFLICT DO NOTHING on the primary key, inside a
BEGIN IMMEDIATE transaction on SQLite). A lock whose job stopped sending heartbeats, or whose
wizard never started a job, is taken over after STALE_AFTER.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from crm_app.i18n import UserError
from crm_app.models import ImportJob, ImportLock, User, utcnow
from crm_app.services.auth import Actor, PermissionDenied, require_admin
from crm_app.settings import get_settings

STALE_AFTER = timedelta(minutes=10)  # a lock whose wizard never started its job
UNFINISHED = ("pending", "running")
FINISHED_KEPT = timedelta(hours=1)  # the holder's time to read the result before others may import


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def heartbeat_stale(job: ImportJob) -> bool:
    """A running job's worker refreshes its heartbeat every few seconds (importer/jobs.py): one
    older than CRM_IMPORT_STALE_SECONDS means the worker is gone."""
    return utcnow() - _aware(job.heartbeat_at) > timedelta(seconds=get_settings().import_stale_seconds)


def _is_stale(session: Session, lock: ImportLock) -> bool:
    if lock.job_id is None:
        return utcnow() - _aware(lock.acquired_at) > STALE_AFTER
    job = session.get(ImportJob, lock.job_id)
    if job is None:
        return True
    return job.status in UNFINISHED and heartbeat_stale(job)


def expire_locks(session: Session, module: str = "raw_leads") -> bool:
    """Release an abandoned lock (a scheduled job): its wizard never started a job, its job is
    gone, or its job finished FINISHED_KEPT ago and the holder never pressed "Kết thúc". A lock
    whose job is still running is not abandoned: the sweep resumes that job or fails it."""
    lock = session.exec(select(ImportLock).where(ImportLock.module == module).with_for_update()).first()
    if lock is None:
        return False
    job = session.get(ImportJob, lock.job_id) if lock.job_id is not None else None
    if lock.job_id is None:
        abandoned = utcnow() - _aware(lock.acquired_at) > STALE_AFTER
    elif job is None:
        abandoned = True
    else:
        ended = job.finished_at and utcnow() - _aware(job.finished_at) > FINISHED_KEPT
        abandoned = job.status not in UNFINISHED and bool(ended)
    if abandoned:
        session.delete(lock)
    return abandoned


def current_lock(session: Session, module: str = "raw_leads") -> ImportLock | None:
    return session.get(ImportLock, module)


def acquire_lock(session: Session, actor: Actor, module: str = "raw_leads") -> ImportLock:
    """Take the module's lock (or return it if `actor` holds it); call inside write_session."""
    lock = session.exec(select(ImportLock).where(ImportLock.module == module).with_for_update()).first()
    if lock is not None and lock.user_id != actor.id and _is_stale(session, lock):
        session.delete(lock)
        session.flush()
        lock = None
    if lock is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(ImportLock).values(module=module, user_id=actor.id, acquired_at=utcnow())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["module"]))
        session.expire_all()
        lock = session.get(ImportLock, module)
        assert lock is not None
    if lock.user_id != actor.id:
        holder = session.get(User, lock.user_id)
        raise UserError("import.lock.held", username=holder.username if holder else "?",
                        full_name=holder.full_name if holder else "?",
                        since=_aware(lock.acquired_at).astimezone().strftime("%H:%M %d/%m/%Y"))
    return lock


def release_lock(session: Session, actor: Actor, job_id: int | None = None, module: str = "raw_leads") -> bool:
    """"Kết thúc": the holder (or an admin) releases the lock; False if there was none."""
    lock = current_lock(session, module)
    if lock is None or (job_id is not None and lock.job_id not in (None, job_id)):
        return False
    if lock.user_id != actor.id and not actor.is_admin:
        raise PermissionDenied()
    session.exec(delete(ImportLock).where(col(ImportLock.module) == module))
    return True


def force_release(session: Session, actor: Actor, module: str = "raw_leads") -> bool:
    require_admin(actor)
    lock = current_lock(session, module)
    if lock is None:
        return False
    if lock.job_id is not None:
        job = session.get(ImportJob, lock.job_id)
        if job is not None and job.status in UNFINISHED:
            job.status = "failed"
            job.error = "Quản trị viên đã giải phóng khoá import."
            job.finished_at = utcnow()
            session.add(job)
    session.exec(delete(ImportLock).where(col(ImportLock.module) == module))
    return True
