"""Personal data is not kept for ever: uploaded import files, their result files and the rows
behind those (import_row_issues) are deleted once older than the organisation's retention period
(org setting, default 30 days). A scheduled job (services/tasks.py) calls `delete_expired_files`.

The records an import created stay, and so does what undo needs (import_changes): those are the
CRM's data, not copies of the file."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ImportJob, ImportRowIssue, OrgSetting, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin
from crm_app.services.reference_data import get_org_setting
from crm_app.settings import get_settings

RETENTION_KEY = "file_retention_days"
DEFAULT_DAYS = 30
MAX_DAYS = 3650
UNFINISHED = ("pending", "running")


def retention_days(session: Session) -> int:
    return int(get_org_setting(session=session, key=RETENTION_KEY, default=DEFAULT_DAYS))


def set_retention_days(session: Session, actor: Actor, days: int) -> None:
    require_admin(actor)
    if not 1 <= days <= MAX_DAYS:
        raise UserError("settings.retention.range", max=MAX_DAYS)
    row = session.get(OrgSetting, RETENTION_KEY) or OrgSetting(key=RETENTION_KEY)
    old, row.value = row.value, days
    session.add(row)
    audit.record(session=session, entity="org_setting", entity_id=0, action="updated",
                 user_id=actor.id, changes={RETENTION_KEY: [old, days]})


def delete_expired_files(engine: Engine) -> int:
    """Delete what is past retention; returns the number of files removed. Files of unfinished
    imports are kept whatever their age (a resumed job reads its file)."""
    with read_session(engine) as session:
        days = retention_days(session)
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    with write_session(engine) as session:
        jobs = session.exec(select(ImportJob).where(
            col(ImportJob.status).not_in(UNFINISHED), col(ImportJob.started_at) < cutoff,
            or_(col(ImportJob.file_path) != "", col(ImportJob.skipped_file).is_not(None),
                col(ImportJob.failed_file).is_not(None)))).all()
        for job in jobs:
            removed += sum(_unlink(p) for p in (job.file_path, job.skipped_file, job.failed_file) if p)
        ids = [job.id for job in jobs]
        if ids:
            session.execute(update(ImportJob.__table__).where(ImportJob.__table__.c.id.in_(ids))  # type: ignore[attr-defined]
                            .values(file_path="", skipped_file=None, failed_file=None))
            session.execute(delete(ImportRowIssue.__table__)  # type: ignore[attr-defined]
                            .where(ImportRowIssue.__table__.c.job_id.in_(ids)))  # type: ignore[attr-defined]
        kept = {Path(p) for p in session.exec(select(ImportJob.file_path)
                                              .where(col(ImportJob.status).in_(UNFINISHED))) if p}
    # Whatever else is in the private directory and as old: uploads the wizard never imported.
    oldest = time.time() - days * 86400
    root = get_settings().private_upload_dir
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and path not in kept and path.stat().st_mtime < oldest:
                removed += _unlink(str(path))
    return removed


def _unlink(path: str) -> int:
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return 0
    return 1
