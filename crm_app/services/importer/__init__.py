"""The Excel/CSV import engine for raw leads (DESIGN §4 "Excel import", §6 hazards).

Public API (what the wizard, the CLI and tests call):

- ``build_template(session) -> bytes``: the .xlsx template from the live field registry.
- ``inspect_file(path, *, row_limit=None, sheet=None) -> FileInfo``: preflight + parse; headers,
  row count, the first 5 values of each column, the workbook's visible sheets (a choice when
  there are several) and a CSV's encoding and separator. Raises ``UserError`` for a bad file.
- ``auto_mapping(session, headers) -> dict[header, field_key]``; ``resolve_field(session, name)``;
  ``save_mapping(session, actor, name, mapping)``, ``load_mapping(session, name)``, ``list_mappings(session)``.
- ``ImportOptions(mapping, dedup_fields, on_duplicate, unknown_picklist)``; ``validate_options``.
- Lock: ``acquire_lock(session, actor, module="raw_leads") -> ImportLock``,
  ``current_lock(session, module)``, ``release_lock(session, actor, job_id=None)`` (holder or
  admin, the wizard's "Kết thúc"), ``force_release(session, actor)`` (admin only).
- Jobs: ``create_job(session, actor, path, original_name, options) -> ImportJob`` (takes the
  lock, copies the file to the private directory); ``dry_run(engine, job_id)`` or
  ``dry_run(engine, path=..., options=..., actor=...) -> ImportResult`` (counts it would produce,
  first failure reasons, nothing written); ``run_job(engine, job_id, progress=None, *,
  batch_size=None, takeover=False) -> ImportResult`` (batched; resumes from the job's checkpoint;
  result files stored on the job; `takeover` resumes a job whose worker is known to be dead
  before its heartbeat goes stale);
  ``undo_job(engine, actor, job_id) -> int``; ``job_issues(session, job_id, kind)``;
  ``job_summary(session, actor, job_id)`` (the result page the records' timelines link to);
  ``job_phase(job)`` (its status, or "resuming" while a dead worker's job awaits another).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm_app.services.auth import PermissionDenied
from crm_app.services.importer.jobs import (
    COUNTS,
    create_job,
    dry_run,
    job_issues,
    job_phase,
    job_summary,
    run_job,
    undo_job,
)
from crm_app.services.importer.lock import acquire_lock, current_lock, force_release, release_lock
from crm_app.services.importer.mapping import (
    auto_mapping,
    list_mappings,
    load_mapping,
    resolve_field,
    save_mapping,
)
from crm_app.services.importer.options import ImportOptions, ImportResult, validate_options
from crm_app.services.importer.reader import parse_file, preview
from crm_app.services.importer.template import build_template
from crm_app.settings import get_settings

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class FileInfo:
    headers: list[str]
    total: int  # data rows
    preview: dict[str, list[str]]  # header → first values
    kind: str = "xlsx"  # xlsx | xls | ods | csv
    sheets: tuple[str, ...] = ()  # a workbook's visible sheets
    sheet: str = ""  # the one read
    encoding: str = ""  # a CSV's character encoding, as the review step names it
    delimiter: str = ""  # a CSV's separator: "," ";" or "Tab"


def inspect_file(path: Path, *, row_limit: int | None = None, sheet: str | None = None) -> FileInfo:
    limit = row_limit if row_limit is not None else get_settings().import_row_limit
    with parse_file(Path(path), row_limit=limit, sheet=sheet) as parsed:
        rows = preview(parsed, PREVIEW_ROWS)
        columns = {h: [r[i] if i < len(r) else "" for r in rows] for i, h in enumerate(parsed.headers)}
        return FileInfo(headers=parsed.headers, total=parsed.total, preview=columns, kind=parsed.kind,
                        sheets=tuple(parsed.sheets), sheet=parsed.sheet, encoding=parsed.encoding,
                        delimiter=parsed.delimiter)


__all__ = [
    "COUNTS", "FileInfo", "ImportOptions", "PermissionDenied", "ImportResult", "acquire_lock", "auto_mapping",
    "build_template",
    "create_job", "current_lock", "dry_run", "force_release", "inspect_file", "job_issues", "job_phase", "job_summary",
    "list_mappings",
    "load_mapping", "release_lock", "resolve_field", "run_job", "save_mapping", "undo_job", "validate_options",
]
