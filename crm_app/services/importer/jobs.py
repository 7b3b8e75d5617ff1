"""The import job's lifecycle: create it under the lock, dry-run it, run or resume it from its
checkpoint, mark it failed or done (with its result files), list its issues, undo it."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import delete as sm_delete
from sqlmodel import select as sm_select

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError, t
from crm_app.models import ImportChange, ImportJob, ImportLock, ImportRowIssue, Ticket, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.importer.lock import acquire_lock, heartbeat_stale
from crm_app.services.importer.options import ImportOptions, ImportResult
from crm_app.services.importer.planner import Match, Planner, T, load_index, prepare, regroup
from crm_app.services.importer.reader import parse_file
from crm_app.services.importer.rows import importable_fields
from crm_app.services.importer.writer import DATA_COLUMNS, Progress, Writer, add_counts, derive
from crm_app.services.raw_leads.access import owner_rule
from crm_app.settings import get_settings

MAX_REASONS = 20
MAX_ATTEMPTS = 3  # workers a job may have; one that kills each of them ends "failed"
log = logging.getLogger(__name__)


def dry_run(engine: Engine, job_id: int | None = None, *, path: Path | None = None,
            options: ImportOptions | None = None, actor: Actor | None = None) -> ImportResult:
    """Validate and match the whole file without writing; the counts a run would produce."""
    if job_id is not None:
        with read_session(engine) as session:
            job = session.get(ImportJob, job_id)
            if job is None:
                raise UserError("import.job.not_found")
            path, options = Path(job.file_path), ImportOptions.from_json(job.options)
            actor = _actor_of(session, job.user_id)
    else:
        assert path is not None and options is not None and actor is not None
    result = ImportResult(job_id=job_id, status="dry_run")
    with parse_file(path, row_limit=get_settings().import_row_limit, sheet=options.sheet) as parsed, \
            read_session(engine) as session:
        ctx, fields = prepare(session, parsed, options)
        planner = Planner(ctx, options, fields, {}, len(parsed.headers))
        if planner.dedup:
            planner.index = load_index(session.connection(), planner.dedup, owner_rule(session, actor))
        result.total = parsed.total
        for rows in regroup(parsed, 0, 5000):
            batch = planner.plan(rows)
            add_counts(result, batch.counts)
            _collect_reasons(result, batch.issues)
    return result


def _actor_of(session: Session, user_id: int) -> Actor:
    from crm_app.models import User

    user = session.get(User, user_id)
    if user is None:
        raise UserError("import.job.not_found")
    return Actor.of(user)


def _collect_reasons(result: ImportResult, issues: list[dict[str, Any]]) -> None:
    for issue in issues:
        bucket = result.warnings if issue["kind"] == "warning" else result.reasons
        if issue["kind"] != "skipped" and len(bucket) < MAX_REASONS:
            bucket.append(t("import.row.at", row=issue["row_number"], reason=issue["reason"]))


def create_job(session: Session, actor: Actor, path: Path, original_name: str, options: ImportOptions) -> ImportJob:
    """Register an import under the actor's lock; the file is copied to the private directory."""
    lock = acquire_lock(session, actor)
    if lock.job_id is not None:
        previous = session.get(ImportJob, lock.job_id)
        if previous is not None and previous.status in ("pending", "running"):
            raise UserError("import.job.unfinished")
    target_dir = get_settings().private_upload_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    job = ImportJob(user_id=actor.id, original_name=original_name[:255], options=options.to_json())
    session.add(job)
    session.flush()
    stored = target_dir / f"job-{job.id}-{int(time.time())}{Path(original_name).suffix.lower()[:8]}"
    shutil.copyfile(path, stored)
    job.file_path = str(stored)
    lock.job_id = job.id
    session.add_all([job, lock])
    session.flush()
    return job


def _result_of(job: ImportJob) -> ImportResult:
    return ImportResult(total=job.total, created=job.created, overwritten=job.overwritten, skipped=job.skipped,
                        merged=job.merged, failed=job.failed, warned=job.warned, skipped_file=job.skipped_file,
                        failed_file=job.failed_file, warning_file=job.warning_file, job_id=job.id,
                        status=job.status)


def worker_name() -> str:
    """This process, as it claims a job: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def run_job(engine: Engine, job_id: int, progress: Progress | None = None, *,
            batch_size: int | None = None, takeover: bool = False) -> ImportResult:
    """Run (or resume from its checkpoint) a job; file-level problems mark it failed and raise.

    A job still "running" with a recent heartbeat belongs to another worker and is refused,
    unless `takeover` (its process is known to be dead). The claim names this process on the job
    (`worker`); a heartbeat thread keeps it fresh, and every write checks the name, so a worker
    presumed dead that wakes up stops instead of writing beside the one that resumed its job."""
    settings = get_settings()
    size = batch_size or settings.import_batch_size
    me = worker_name()
    with write_session(engine) as session:
        job = session.exec(sm_select(ImportJob).where(ImportJob.id == job_id).with_for_update()).first()
        if job is None:
            raise UserError("import.job.not_found")
        if job.status in ("done", "undone"):
            return _result_of(job)
        if job.status == "running" and not takeover and not heartbeat_stale(job):
            raise UserError("import.job.unfinished")
        job.status, job.heartbeat_at, job.error, job.worker = "running", utcnow(), None, me
        job.attempts += 1
        session.add(job)
    heartbeat = _Heartbeat(engine, job_id, me, settings.import_stale_seconds / 6)
    try:
        options = ImportOptions.from_json(job.options)
        index: dict[tuple[Any, ...], Match] = {}

        def load() -> None:  # overlaps the child process parsing the file
            if options.checks_duplicates:
                with read_session(engine) as session:
                    fields = {f.key: f for f in importable_fields(session)}
                    dedup = [fields[k] for k in options.dedup_fields if k in fields]
                    rule = owner_rule(session, _actor_of(session, job.user_id))
                    index.update(load_index(session.connection(), dedup, rule))

        with parse_file(Path(job.file_path), row_limit=settings.import_row_limit, sheet=options.sheet,
                        while_parsing=load) as parsed:
            with read_session(engine) as session:
                ctx, fields = prepare(session, parsed, options)
            planner = Planner(ctx, options, fields, index, len(parsed.headers))
            _update_claimed(engine, job_id, me, total=parsed.total, heartbeat_at=utcnow())
            job.total = parsed.total
            if progress:
                progress(job.processed, job.total)
            writer = Writer(engine, job, progress, settings.import_batch_pause)
            planner.drain = writer.drain
            try:
                for rows in regroup(parsed, job.checkpoint, size):
                    writer.put(planner.plan(rows))
            finally:
                writer.close()
            headers = parsed.headers
    except UserError as exc:
        heartbeat.stop()
        _fail(engine, job_id, me, exc.message())
        raise
    except Exception:
        heartbeat.stop()
        _fail(engine, job_id, me, t("import.job.crashed"))
        raise
    heartbeat.stop()
    with write_session(engine) as session:
        job = session.exec(sm_select(ImportJob).where(ImportJob.id == job_id).with_for_update()).first()
        assert job is not None
        if job.worker != me:
            raise UserError("import.job.stopped")
        job.skipped_file = _issue_file(session, job_id, "skipped", headers)
        job.failed_file = _issue_file(session, job_id, "failed", headers)
        job.warning_file = _issue_file(session, job_id, "warning", headers)
        job.status, job.finished_at, job.heartbeat_at = "done", utcnow(), utcnow()
        session.add(job)
        audit.record(session=session, entity="import_job", entity_id=job_id, action="imported",
                     user_id=job.user_id, source=f"import:{job_id}",
                     changes={k: getattr(job, k) for k in ("total", "created", "overwritten", "merged",
                                                          "skipped", "failed", "warned")})
        result = _result_of(job)
        for kind, bucket in (("failed", result.reasons), ("warning", result.warnings)):
            bucket.extend(t("import.row.at", row=i.row_number, reason=i.reason)
                          for i in job_issues(session, job_id, kind, MAX_REASONS))
    return result


class _Heartbeat:
    """Refreshes the job's heartbeat while this process works on it, whatever the work is doing
    (parsing the file and loading the duplicate index commit nothing for a while)."""

    def __init__(self, engine: Engine, job_id: int, worker: str, interval: float) -> None:
        self.engine, self.job_id, self.worker = engine, job_id, worker
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(interval,), name=f"heartbeat-{job_id}", daemon=True)
        self.thread.start()

    def _run(self, interval: float) -> None:
        while not self.stopped.wait(interval):
            try:
                if not _update_claimed(self.engine, self.job_id, self.worker, heartbeat_at=utcnow()):
                    return  # taken over: the writer's next commit finds out and stops
            except Exception:  # noqa: BLE001 - a missed beat is retried; a long outage makes the job resumable
                log.warning("import %s: heartbeat failed", self.job_id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


def _update_claimed(engine: Engine, job_id: int, worker: str, **values: Any) -> bool:
    """Update the job if this worker still holds it; False when another has taken it over."""
    jobs = ImportJob.__table__  # type: ignore[attr-defined]
    with write_session(engine) as session:
        result = session.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker,
                                                    jobs.c.status == "running").values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _issue_file(session: Session, job_id: int, kind: str, headers: list[str]) -> str | None:
    from crm_app.services.importer.results import write_issue_file

    return write_issue_file(session, job_id, kind, headers)


def _fail(engine: Engine, job_id: int, held_by: str | None, message: str) -> None:
    """End a job "failed" with its reason and release its lock: a failed job is finished, and
    nobody may be left waiting behind it. Only while `held_by` still holds it (None: unclaimed)."""
    with write_session(engine) as session:
        job = session.exec(sm_select(ImportJob).where(ImportJob.id == job_id).with_for_update()).first()
        if job is None or job.status not in ("pending", "running") or job.worker != held_by:
            return
        job.status, job.error, job.finished_at = "failed", message, utcnow()
        session.add(job)
        session.exec(sm_delete(ImportLock).where(col(ImportLock.job_id) == job_id))


def jobs_to_resume(engine: Engine) -> list[int]:
    """What the rows say needs a worker: jobs pending or running whose heartbeat is stale (their
    message was lost, or their worker died). One that already had MAX_ATTEMPTS workers, or whose
    file is gone, cannot be resumed: it ends "failed" with the reason and releases its lock."""
    cutoff = utcnow() - timedelta(seconds=get_settings().import_stale_seconds)
    with read_session(engine) as session:
        stale = session.exec(sm_select(ImportJob).where(col(ImportJob.status).in_(("pending", "running")),
                                                        col(ImportJob.heartbeat_at) < cutoff)).all()
    resume = []
    for job in stale:
        assert job.id is not None
        if job.attempts >= MAX_ATTEMPTS:
            _fail(engine, job.id, job.worker, t("import.job.gave_up", attempts=job.attempts))
        elif not Path(job.file_path).is_file():
            _fail(engine, job.id, job.worker, t("import.job.file_gone"))
        else:
            resume.append(job.id)
    return resume


def job_phase(job: ImportJob) -> str:
    """What the wizard says about a job: its status, or "resuming" while a running job's worker
    has stopped answering and another is about to take over from the checkpoint."""
    if job.status == "running" and heartbeat_stale(job):
        return "resuming"
    return job.status


COUNTS = ("total", "created", "overwritten", "merged", "skipped", "failed", "warned")


def job_summary(session: Session, actor: Actor, job_id: int) -> dict[str, Any] | None:
    """An import's result as its records' timelines link to it: file, who, when, status and counts
    (every user who can open a record it touched may see them); `files` says whether the result
    files may be downloaded (the importer or an admin, as the download route checks)."""
    from crm_app.models import User

    job = session.get(ImportJob, job_id)
    if job is None:
        return None
    user = session.get(User, job.user_id)
    own = actor.is_admin or job.user_id == actor.id
    return {"id": job.id, "file": job.original_name, "user": user.full_name if user else "?",
            "status": job.status, "started": job.started_at, "finished": job.finished_at,
            **{k: getattr(job, k) for k in COUNTS},
            "files": {k: own and bool(getattr(job, f"{k}_file")) for k in ("skipped", "failed", "warning")}}


def job_issues(session: Session, job_id: int, kind: str, limit: int = 100) -> list[ImportRowIssue]:
    return list(session.exec(sm_select(ImportRowIssue).where(ImportRowIssue.job_id == job_id,
                                                             ImportRowIssue.kind == kind)
                             .order_by(col(ImportRowIssue.row_number)).limit(limit)))


def undo_job(engine: Engine, actor: Actor, job_id: int) -> int:
    """Delete the records the job created and restore what it overwrote or merged; returns
    the number of records touched. The importer or an admin only."""
    with write_session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise UserError("import.job.not_found")
        if job.user_id != actor.id and not actor.is_admin:
            raise PermissionDenied()
        if job.status in ("pending", "running"):
            raise UserError("import.job.unfinished")
        if job.status == "undone":
            raise UserError("import.job.already_undone")
        conn = session.connection()
        changes = conn.execute(select(ImportChange.__table__)  # type: ignore[attr-defined]
                               .where(ImportChange.__table__.c.job_id == job_id)  # type: ignore[attr-defined]
                               .order_by(ImportChange.__table__.c.id.desc())).mappings().all()  # type: ignore[attr-defined]
        for change in changes:
            old = dict(change["old_values"])
            if old.get("birthday"):
                old["birthday"] = date.fromisoformat(old["birthday"])
            record = conn.execute(select(*[T.c[c] for c in DATA_COLUMNS], T.c.custom)
                                  .where(T.c.id == change["record_id"])).mappings().first()
            if record is None:
                continue
            values = {**record, **old}
            derive(values)
            conn.execute(update(T).where(T.c.id == change["record_id"]).values(
                **old, email_key=values["email_key"], search_text=values["search_text"],
                modified_at=utcnow(), modified_by_id=actor.id))
        created = select(T.c.id).where(T.c.import_job_id == job_id)
        conn.execute(update(Ticket.__table__).where(Ticket.__table__.c.raw_lead_id.in_(created))  # type: ignore[attr-defined]
                     .values(raw_lead_id=None))
        deleted = conn.execute(T.delete().where(T.c.import_job_id == job_id)).rowcount
        job.status = "undone"
        session.add(job)
        audit.record(session=session, entity="import_job", entity_id=job_id, action="undone",
                     user_id=actor.id, source=f"import:{job_id}", changes={"deleted": deleted,
                                                                           "restored": len(changes)})
    return deleted + len({c["record_id"] for c in changes})

