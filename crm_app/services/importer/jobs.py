"""The import job's lifecycle: create it under the lock, dry-run it, run or resume it from its
checkpoint, mark it failed or done (with its result files), list its issues, undo it."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError, t
from crm_app.models import ImportChange, ImportJob, ImportRowIssue, Ticket, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.importer.lock import acquire_lock, heartbeat_stale
from crm_app.services.importer.options import ImportOptions, ImportResult
from crm_app.services.importer.planner import Match, Planner, T, load_index, prepare, regroup
from crm_app.services.importer.reader import parse_file
from crm_app.services.importer.rows import importable_fields
from crm_app.services.importer.writer import DATA_COLUMNS, Progress, Writer, add_counts, derive
from crm_app.settings import get_settings

MAX_REASONS = 20


def dry_run(engine: Engine, job_id: int | None = None, *, path: Path | None = None,
            options: ImportOptions | None = None, actor: Actor | None = None) -> ImportResult:
    """Validate and match the whole file without writing; the counts a run would produce."""
    if job_id is not None:
        with read_session(engine) as session:
            job = session.get(ImportJob, job_id)
            if job is None:
                raise UserError("import.job.not_found")
            path, options = Path(job.file_path), ImportOptions.from_json(job.options)
    else:
        assert path is not None and options is not None and actor is not None
    result = ImportResult(job_id=job_id, status="dry_run")
    with parse_file(path, row_limit=get_settings().import_row_limit) as parsed, read_session(engine) as session:
        ctx, fields = prepare(session, parsed, options)
        planner = Planner(ctx, options, fields, {}, len(parsed.headers))
        if planner.dedup:
            planner.index = load_index(session.connection(), planner.dedup)
        result.total = parsed.total
        for rows in regroup(parsed, 0, 5000):
            batch = planner.plan(rows)
            add_counts(result, batch.counts)
            _collect_reasons(result, batch.issues)
    return result


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
                        merged=job.merged, failed=job.failed, skipped_file=job.skipped_file,
                        failed_file=job.failed_file, job_id=job.id, status=job.status)


def run_job(engine: Engine, job_id: int, progress: Progress | None = None, *,
            batch_size: int | None = None, takeover: bool = False) -> ImportResult:
    """Run (or resume from its checkpoint) a job; file-level problems mark it failed and raise.

    A job still "running" with a recent heartbeat belongs to another worker and is refused,
    unless `takeover` (its process is known to be dead)."""
    settings = get_settings()
    size = batch_size or settings.import_batch_size
    with write_session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise UserError("import.job.not_found")
        if job.status in ("done", "undone"):
            return _result_of(job)
        if job.status == "running" and not takeover and not heartbeat_stale(job):
            raise UserError("import.job.unfinished")
        job.status, job.heartbeat_at, job.error = "running", utcnow(), None
        session.add(job)
    try:
        options = ImportOptions.from_json(job.options)
        index: dict[tuple[Any, ...], Match] = {}

        def load() -> None:  # overlaps the child process parsing the file
            if options.checks_duplicates:
                with read_session(engine) as session:
                    fields = {f.key: f for f in importable_fields(session)}
                    dedup = [fields[k] for k in options.dedup_fields if k in fields]
                    index.update(load_index(session.connection(), dedup))

        with parse_file(Path(job.file_path), row_limit=settings.import_row_limit, while_parsing=load) as parsed:
            with read_session(engine) as session:
                ctx, fields = prepare(session, parsed, options)
            planner = Planner(ctx, options, fields, index, len(parsed.headers))
            _set_total(engine, job_id, parsed.total)
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
        _fail(engine, job_id, exc.message())
        raise
    except Exception:
        _fail(engine, job_id, t("import.job.crashed"))
        raise
    with write_session(engine) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.skipped_file = _issue_file(session, job_id, "skipped", headers)
        job.failed_file = _issue_file(session, job_id, "failed", headers)
        job.status, job.finished_at, job.heartbeat_at = "done", utcnow(), utcnow()
        session.add(job)
        audit.record(session=session, entity="import_job", entity_id=job_id, action="imported",
                     user_id=job.user_id, source=f"import:{job_id}",
                     changes={k: getattr(job, k) for k in ("total", "created", "overwritten", "merged",
                                                          "skipped", "failed")})
        result = _result_of(job)
        for kind, bucket in (("failed", result.reasons), ("warning", result.warnings)):
            bucket.extend(t("import.row.at", row=i.row_number, reason=i.reason)
                          for i in job_issues(session, job_id, kind, MAX_REASONS))
    return result


def _issue_file(session: Session, job_id: int, kind: str, headers: list[str]) -> str | None:
    from crm_app.services.importer.results import write_issue_file

    return write_issue_file(session, job_id, kind, headers)


def _set_total(engine: Engine, job_id: int, total: int) -> None:
    with write_session(engine) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.total, job.heartbeat_at = total, utcnow()
        session.add(job)


def _fail(engine: Engine, job_id: int, message: str) -> None:
    with write_session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is not None and job.status == "running":
            job.status, job.error, job.finished_at = "failed", message, utcnow()
            session.add(job)


def job_issues(session: Session, job_id: int, kind: str, limit: int = 100) -> list[ImportRowIssue]:
    from sqlmodel import select as sm_select

    return list(session.exec(sm_select(ImportRowIssue).where(ImportRowIssue.job_id == job_id,
                                                             ImportRowIssue.kind == kind)
                             .order_by(ImportRowIssue.row_number).limit(limit)))


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

