"""Import jobs: validate, match duplicates, write in committed batches, resume, undo.

Throughput comes from doing per-row work in Python over dicts and sets (the dedup index is
loaded once, in chunks, as normalised keys → record ids) and talking to the database once per
batch: the inserts (multi-row INSERT on SQLite, COPY on PostgreSQL), a Core update of matched
records, the rows' issues, and the job's counters and checkpoint, all in one transaction. A crash
therefore leaves whole batches only, and the checkpoint (the last file row committed) tells a
resumed run where to start, so no row is imported twice.
"""

from __future__ import annotations

import io
import json
import queue
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import read_session, write_session
from crm_app.fields import INPUT_IMPORT, STATUS_NEW, FieldDef
from crm_app.i18n import UserError, t
from crm_app.models import ImportChange, ImportJob, ImportRowIssue, RawLead, Ticket, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.importer.lock import acquire_lock, heartbeat_stale
from crm_app.services.importer.mapping import auto_mapping
from crm_app.services.importer.reader import ParsedFile, cell_text, parse_file
from crm_app.services.importer.rows import RowContext, convert, importable_fields
from crm_app.services.text import fold
from crm_app.settings import get_settings

Progress = Callable[[int, int], None]
ACTIONS = ("skip", "overwrite", "merge")
T = RawLead.__table__  # type: ignore[attr-defined]
# Columns an import may write (assigned_to maps to assigned_to_id; custom fields live in "custom").
DATA_COLUMNS = ("salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
                "website", "lead_source", "customer_type", "birthday", "street", "ward", "district",
                "province", "country", "description", "assigned_to_id", "status")
DERIVED = ("email_key", "search_text", "custom", "modified_at", "modified_by_id")
ISSUE_COLUMNS = ("job_id", "kind", "row_number", "values", "reason")
INDEX_CHUNK = 50_000
MAX_REASONS = 20
# Bound parameters per SQLite statement (the library's compile-time maximum, 32,766 by default).
_SQLITE_VARIABLES = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


@dataclass
class ImportOptions:
    mapping: dict[str, str]  # file header → field key
    dedup_fields: list[str] = field(default_factory=list)
    on_duplicate: str | None = "skip"  # skip | overwrite | merge | None (no duplicate check)
    unknown_picklist: str = "unknown"  # unknown | reject
    auto_map: bool = False  # also map, when the file is read, headers named like a field (CLI)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportOptions:
        return cls(mapping=dict(data.get("mapping") or {}), dedup_fields=list(data.get("dedup_fields") or []),
                   on_duplicate=data.get("on_duplicate"), unknown_picklist=data.get("unknown_picklist", "unknown"),
                   auto_map=bool(data.get("auto_map")))

    @property
    def checks_duplicates(self) -> bool:
        return bool(self.dedup_fields) and self.on_duplicate is not None


@dataclass
class ImportResult:
    """Counts of a run (or what a dry run would do) and the first reasons rows failed."""

    total: int = 0
    created: int = 0
    overwritten: int = 0
    skipped: int = 0
    merged: int = 0
    failed: int = 0
    skipped_file: str | None = None
    failed_file: str | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    job_id: int | None = None
    status: str = ""

    def as_cli_json(self) -> dict[str, Any]:
        keys = ("total", "created", "overwritten", "skipped", "merged", "failed", "skipped_file", "failed_file")
        return {k: getattr(self, k) for k in keys}


def validate_options(session: Session, headers: list[str], options: ImportOptions) -> None:
    fields = {f.key: f for f in importable_fields(session)}
    unknown_headers = [h for h in options.mapping if h not in headers]
    if unknown_headers:
        raise UserError("import.options.header_missing", headers=", ".join(unknown_headers))
    keys = [k for k in options.mapping.values() if k]
    bad = [k for k in keys if k not in fields]
    if bad:
        raise UserError("import.unknown_field", name=", ".join(bad))
    twice = sorted({fields[k].label_vi for k in keys if keys.count(k) > 1})
    if twice:
        raise UserError("import.options.mapped_twice", fields=", ".join(twice))
    if "first_name" not in keys:
        raise UserError("import.options.required_unmapped", field=fields["first_name"].label_vi)
    if options.on_duplicate not in (*ACTIONS, None):
        raise UserError("import.options.bad_action")
    if options.unknown_picklist not in ("unknown", "reject"):
        raise UserError("import.options.bad_picklist")
    for key in options.dedup_fields:
        if key not in fields:
            raise UserError("import.unknown_field", name=key)
        if key not in keys:
            raise UserError("import.options.dedup_unmapped", field=fields[key].label_vi)


# ---------------------------------------------------------------- duplicate index

def _norm(fd: FieldDef, value: Any) -> Any:
    """The matching form of a converted value: phones are E.164 already, the rest folded."""
    if value is None or value == "":
        return None
    if fd.type in ("phone", "user") or isinstance(value, date):
        return value
    return fold(str(value))


def _row_key(fields: list[FieldDef], values: dict[str, Any]) -> tuple[Any, ...] | None:
    key = []
    for fd in fields:
        if fd.custom:
            raw = (values.get("custom") or {}).get(fd.key.removeprefix("cf_"))
        else:
            raw = values.get("assigned_to_id" if fd.type == "user" else fd.key)
        norm = _norm(fd, raw)
        if norm is None:
            return None  # an empty criterion never matches anything
        key.append(norm)
    return tuple(key)


def _db_column(fd: FieldDef) -> str:
    if fd.custom:
        return "custom"
    if fd.type == "user":
        return "assigned_to_id"
    return "email_key" if fd.type == "email" else fd.key


@dataclass
class Pending:
    """A record this run creates from a file row: its values until they are handed to the
    writer (`dispatched`; a dry run never hands them over), then its id once committed."""

    row_number: int
    values: dict[str, Any]
    key: tuple[Any, ...] | None = None
    dispatched: bool = False
    record_id: int | None = None


Match = Pending | list[tuple[Any, int]]  # pending create, or CRM (modified_at, id) newest first


def load_index(conn: Connection, fields: list[FieldDef]) -> dict[tuple[Any, ...], Match]:
    """Normalised criteria → matching records, read in id-ordered chunks of key columns only."""
    cols = sorted({_db_column(f) for f in fields})
    index: dict[tuple[Any, ...], Match] = {}
    last_id = 0
    while True:
        rows = conn.execute(
            select(T.c.id, T.c.modified_at, *[T.c[c] for c in cols])
            .where(T.c.id > last_id, *[T.c[c].is_not(None) for c in cols if c != "custom"])
            .order_by(T.c.id).limit(INDEX_CHUNK)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        for row in rows:
            data = dict(zip(cols, row[2:], strict=True))
            values = {**data, **{f.key: data[_db_column(f)] for f in fields if not f.custom}}
            key = _row_key(fields, values)
            if key is not None:
                entry = index.setdefault(key, [])
                assert isinstance(entry, list)
                entry.append((row[1], row[0]))
    for entry in index.values():
        if isinstance(entry, list) and len(entry) > 1:
            entry.sort(reverse=True)
    return index


# ---------------------------------------------------------------- the run

@dataclass
class _Batch:
    creates: list[Pending] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], int]] = field(default_factory=list)  # id, values, row number
    issues: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("created", "overwritten", "skipped", "merged", "failed"), 0))
    last_row: int = 0
    rows: int = 0
    # Built by `_Writer.put` for the driver (see `_Rows`): the creates, and the issues.
    inserts: _Rows | None = None
    issue_rows: _Rows | None = None


class _Planner:
    """Classifies rows; shared by dry runs and real runs so both count the same way."""

    def __init__(self, ctx: RowContext, options: ImportOptions, fields: dict[str, FieldDef],
                 index: dict[tuple[Any, ...], Match], width: int) -> None:
        self.ctx = ctx
        self.options = options
        self.dedup = [fields[k] for k in options.dedup_fields] if options.checks_duplicates else []
        self.labels = ", ".join(f.label_vi for f in self.dedup)
        self.index = index
        self.width = width
        self.drain: Callable[[], None] = lambda: None

    def plan(self, rows: list[tuple[int, list[object]]]) -> _Batch:
        batch = _Batch(last_row=rows[-1][0], rows=len(rows))
        for number, raw in rows:
            row = convert(self.ctx, raw)
            if row.error:
                self._issue(batch, "failed", number, raw, row.error)
                continue
            for warning in row.warnings:
                self._issue(batch, "warning", number, raw, warning)
            key = _row_key(self.dedup, row.values) if self.dedup else None
            match = self.index.get(key) if key is not None else None
            if match is None:
                pending = Pending(number, row.values, key)
                batch.creates.append(pending)
                batch.counts["created"] += 1
                if key is not None:
                    self.index[key] = pending
                continue
            action = self.options.on_duplicate
            if isinstance(match, Pending) and match.dispatched and action != "skip":
                self.drain()  # its insert is committed now: update that record by id
                assert match.record_id is not None
                match = self.index[key] = [(None, match.record_id)]
            if isinstance(match, Pending):
                if action == "skip":
                    self._issue(batch, "skipped", number, raw,
                                t("import.dup.file", row=match.row_number, fields=self.labels))
                    batch.counts["skipped"] += 1
                else:
                    _apply(match.values, row.values, overwrite=action == "overwrite")
                    batch.counts["overwritten" if action == "overwrite" else "merged"] += 1
                continue
            ids = [rid for _m, rid in match]
            if action == "skip":
                self._issue(batch, "skipped", number, raw, t("import.dup.crm", ids=_id_list(ids), fields=self.labels))
                batch.counts["skipped"] += 1
                continue
            batch.updates.append((ids[0], row.values, number))
            batch.counts["overwritten" if action == "overwrite" else "merged"] += 1
            if len(ids) > 1:
                self._issue(batch, "warning", number, raw, t(
                    "import.dup.several", target=f"#{ids[0]}", others=_id_list(ids[1:])))
        return batch

    def _issue(self, batch: _Batch, kind: str, number: int, raw: list[object], reason: str) -> None:
        if kind == "failed":
            batch.counts["failed"] += 1
        values = [cell_text(v) for v in raw[: self.width]]
        batch.issues.append({"kind": kind, "row_number": number, "values": values, "reason": reason})


def _id_list(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _apply(current: dict[str, Any], new: dict[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """Apply file values to a record in place; return the old values of what changed.
    Blanks in the file never erase; merge fills only empty fields."""
    old: dict[str, Any] = {}
    for key, value in new.items():
        if key == "custom":
            custom = dict(current.get("custom") or {})
            changed = {k: v for k, v in value.items()
                       if not _empty(v) and (overwrite or _empty(custom.get(k))) and custom.get(k) != v}
            if changed:
                old["custom"] = current.get("custom") or {}
                current["custom"] = {**custom, **changed}
            continue
        if _empty(value) or current.get(key) == value:
            continue
        if overwrite or _empty(current.get(key)):
            old[key] = current.get(key)
            current[key] = value
    return old


def _fold(text: str) -> str:
    # Same result as text.fold; ASCII (emails, most phones) needs no Unicode decomposition.
    return " ".join(text.lower().split()) if text.isascii() else fold(text)


def _derive(values: dict[str, Any]) -> None:
    """email_key and search_text exactly as services.text.search_text builds them."""
    email = values.get("email")
    values["email_key"] = email.lower() if email else None
    parts = []
    for part in (f"{values.get('last_name') or ''} {values.get('first_name') or ''}",
                 values.get("mobile"), values.get("phone"), email, values.get("company")):
        if part:
            parts.append(_fold(part))
            if part.startswith("+84"):
                parts.append("0" + part[3:])
    values["search_text"] = " | ".join(parts)[:1024]


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def _write_batch(conn: Connection, job: ImportJob, batch: _Batch, user_id: int) -> None:
    assert job.id is not None
    now = utcnow()
    if batch.updates:
        ids = sorted({rid for rid, _v, _n in batch.updates})
        current = {r["id"]: dict(r) for r in conn.execute(
            select(T.c.id, *[T.c[c] for c in (*DATA_COLUMNS, "custom")]).where(T.c.id.in_(ids))).mappings()}
        changes = []
        for rid, values, _number in batch.updates:
            record = current.get(rid)
            if record is None:  # deleted by someone meanwhile: nothing to update
                continue
            old = _apply(record, values, overwrite=job.options.get("on_duplicate") == "overwrite")
            if old:
                changes.append({"job_id": job.id, "record_id": rid, "old_values": _jsonable(old),
                                "action": "overwritten" if job.options.get("on_duplicate") == "overwrite"
                                else "merged"})
        for record in current.values():
            _derive(record)
            record.update(_id=record.pop("id"), modified_at=now, modified_by_id=user_id)
        cols = (*DATA_COLUMNS, *DERIVED)
        conn.execute(update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols}),
                     [{c: r[c] for c in (*cols, "_id")} for r in current.values()])
        if changes:
            conn.execute(insert(ImportChange.__table__), changes)  # type: ignore[attr-defined]
    if batch.inserts:
        for pending, rid in zip(batch.creates, _insert_ids(conn, batch.inserts, job.id), strict=True):
            pending.record_id = rid
    if batch.issue_rows:
        batch.issue_rows.insert(conn, "import_row_issues")


def _insert_params(creates: list[Pending], job_id: int, user_id: int, dialect: str) -> _Rows:
    """The rows to insert, ready for the driver; built on the planning thread, so the writer
    thread spends its time in the database rather than waiting for the GIL. Values are stored
    the way SQLAlchemy's types store them (JSON text, ISO dates and timestamps)."""
    now = utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now.isoformat()
    rows = []
    for pending in creates:
        values = dict.fromkeys(DATA_COLUMNS)
        values.update(custom={}, status=STATUS_NEW, assigned_to_id=user_id, input_source=INPUT_IMPORT,
                      import_job_id=job_id, created_by_id=user_id, modified_by_id=user_id)
        values.update(pending.values)
        _derive(values)
        values["custom"] = json.dumps(values["custom"]) if values["custom"] else "{}"
        values["created_at"] = values["modified_at"] = stamp
        if values["birthday"] is not None:
            values["birthday"] = values["birthday"].isoformat()
        rows.append(values)
    cols = tuple(rows[0])
    return _Rows.of(cols, list(map(itemgetter(*cols), rows)), dialect)


def _issue_params(issues: list[dict[str, Any]], job_id: int, dialect: str) -> _Rows:
    rows = [(job_id, i["kind"], i["row_number"], json.dumps(i["values"], ensure_ascii=False), i["reason"])
            for i in issues]
    return _Rows.of(ISSUE_COLUMNS, rows, dialect)


@dataclass
class _Rows:
    """Rows for one table in the driver's own form. SQLite: flat parameter tuples for multi-row
    INSERTs (not executemany: SQLite opens the search index, the FTS5 trigger's virtual table,
    once per statement, and that, per row, cost more than the insert itself). PostgreSQL: lines
    of COPY text (see `_copy_line`)."""

    cols: tuple[str, ...]
    chunks: list[tuple[Any, ...]] | list[str]
    count: int

    @classmethod
    def of(cls, cols: tuple[str, ...], rows: list[tuple[Any, ...]], dialect: str) -> _Rows:
        if dialect != "sqlite":
            return cls(cols, [_copy_line(r) for r in rows], len(rows))
        # Statements of a power-of-two number of rows: the driver caches each distinct statement,
        # compiled (one of 4096 rows holds some 15 MB), so any row count would pile up dozens.
        # Up to 4096 rows, or what the library's parameter limit allows: longer ones gain nothing.
        size = min(4096, 1 << ((_SQLITE_VARIABLES // len(cols)).bit_length() - 1))
        chunks, start = [], 0
        while start < len(rows):
            while size > len(rows) - start:
                size //= 2
            chunks.append(tuple(v for r in rows[start:start + size] for v in r))
            start += size
        return cls(cols, chunks, len(rows))

    def insert(self, conn: Connection, table: str, ids: list[int] | None = None) -> None:
        """Insert every row; on PostgreSQL `ids`, if given, become the rows' id column."""
        if conn.dialect.name == "sqlite":
            row = f"({', '.join('?' * len(self.cols))})"
            for chunk in self.chunks:
                # Table and column names come from our own constants; values are bound parameters.
                values = ", ".join([row] * (len(chunk) // len(self.cols)))
                conn.exec_driver_sql(f"INSERT INTO {table} ({_names(self.cols)}) VALUES {values}", chunk)  # noqa: S608
            return
        cols, lines = self.cols, self.chunks
        if ids is not None:
            cols, lines = ("id", *cols), [f"{rid}\t{line}" for rid, line in zip(ids, lines, strict=True)]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        # COPY, not INSERT: the server neither parses nor plans statements, and the driver does no
        # per-parameter work (SQLAlchemy's cost as much as the server's insert).
        data = io.StringIO("".join(f"{line}\n" for line in lines))  # type: ignore[union-attr]
        cursor.copy_expert(f"COPY {table} ({_names(cols)}) FROM STDIN", data, size=1 << 20)
        cursor.close()


def _names(cols: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in cols)  # quoted: "values" is a keyword


def _insert_ids(conn: Connection, rows: _Rows, job_id: int) -> list[int]:
    """Insert and return the new ids in row order. SQLite cannot order RETURNING under
    executemany (SQLAlchemy then inserts row by row), but inside our BEGIN IMMEDIATE
    transaction nobody else inserts, so the new rowids are this job's ids above the old maximum.
    PostgreSQL: the ids are drawn from the sequence first, so no RETURNING order is relied on."""
    if conn.dialect.name != "sqlite":
        ids = list(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('raw_leads', 'id')) FROM generate_series(1, %(n)s)",
            {"n": rows.count}).scalars())
        rows.insert(conn, "raw_leads", ids)
        return ids
    before = conn.execute(select(func.coalesce(func.max(T.c.id), 0))).scalar_one()
    rows.insert(conn, "raw_leads")
    ids = list(conn.execute(select(T.c.id).where(T.c.id > before, T.c.import_job_id == job_id)
                            .order_by(T.c.id)).scalars())
    assert len(ids) == rows.count
    return ids


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(values: tuple[Any, ...]) -> str:
    """One row in COPY's text format: tab-separated, \\N for NULL, backslash escapes (only
    where needed: translate() with a mapping is slow, and most values have nothing to escape)."""
    return "\t".join([
        "\\N" if v is None else (v if v.isprintable() and "\\" not in v else v.translate(_COPY_ESCAPES))
        if type(v) is str else str(v) for v in values])


def _regroup(parsed: ParsedFile, start_after: int, size: int) -> Iterator[list[tuple[int, list[object]]]]:
    buf: list[tuple[int, list[object]]] = []
    for batch in parsed.batches(start_after):
        buf.extend(batch)
        while len(buf) >= size:
            yield buf[:size]
            buf = buf[size:]
    if buf:
        yield buf


def _prepare(session: Session, parsed: ParsedFile, options: ImportOptions
             ) -> tuple[RowContext, dict[str, FieldDef]]:
    if options.auto_map:  # a saved mapping may name columns this file does not have
        options.mapping = {h: k for h, k in options.mapping.items() if h in parsed.headers}
        auto = {h: k for h, k in auto_mapping(session, parsed.headers).items()
                if h not in options.mapping and k not in options.mapping.values()}
        options.mapping = {**options.mapping, **auto}
    validate_options(session, parsed.headers, options)
    fields = {f.key: f for f in importable_fields(session)}
    by_header = {h: i for i, h in enumerate(parsed.headers)}
    mapping = {by_header[h]: k for h, k in options.mapping.items() if k}
    ctx = RowContext.load(session, mapping, reject_unknown_picklist=options.unknown_picklist == "reject")
    return ctx, fields


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
        ctx, fields = _prepare(session, parsed, options)
        planner = _Planner(ctx, options, fields, {}, len(parsed.headers))
        if planner.dedup:
            planner.index = load_index(session.connection(), planner.dedup)
        result.total = parsed.total
        for rows in _regroup(parsed, 0, 5000):
            batch = planner.plan(rows)
            _add_counts(result, batch.counts)
            _collect_reasons(result, batch.issues)
    return result


def _add_counts(target: Any, counts: dict[str, int]) -> None:
    for key, value in counts.items():
        setattr(target, key, getattr(target, key) + value)


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


class _Writer:
    """Commits planned batches, in order, on a thread of its own: the database's time (SQLite's
    C code and the network wait for PostgreSQL release the GIL) overlaps planning the next batch.
    Each batch is one transaction with the job's counters and checkpoint."""

    def __init__(self, engine: Engine, job: ImportJob, progress: Progress | None,
                 pause: float) -> None:
        self.engine, self.job, self.progress, self.pause = engine, job, progress, pause
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"import-{job.id}", daemon=True)
        self.thread.start()

    def put(self, batch: _Batch) -> None:
        self._check()
        if batch.creates:
            assert self.job.id is not None
            batch.inserts = _insert_params(batch.creates, self.job.id, self.job.user_id, self.engine.dialect.name)
        for pending in batch.creates:  # from now on only its id matters, and memory is freed
            pending.dispatched, pending.values = True, {}
        if batch.issues:
            assert self.job.id is not None
            batch.issue_rows = _issue_params(batch.issues, self.job.id, self.engine.dialect.name)
        self.queue.put(batch)

    def drain(self) -> None:
        """Wait until every batch handed over is committed (their records then have ids)."""
        self.queue.join()
        self._check()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            while True:
                batch = self.queue.get()
                try:
                    if batch is None:
                        return
                    if self.error is None:
                        self._commit(conn, batch)
                except BaseException as exc:  # handed to the planning thread, which raises it
                    self.error = exc
                finally:
                    self.queue.task_done()

    def _commit(self, conn: Connection, batch: _Batch) -> None:
        job, jobs = self.job, ImportJob.__table__  # type: ignore[attr-defined]
        with conn.begin():
            status = conn.execute(select(jobs.c.status).where(jobs.c.id == job.id).with_for_update()).scalar()
            if status != "running":
                raise UserError("import.job.stopped")
            _write_batch(conn, job, batch, job.user_id)
            _add_counts(job, batch.counts)
            job.checkpoint, job.processed = batch.last_row, job.processed + batch.rows
            conn.execute(update(jobs).where(jobs.c.id == job.id).values(
                checkpoint=job.checkpoint, processed=job.processed, heartbeat_at=utcnow(),
                **{k: getattr(job, k) for k in batch.counts}))
        if self.progress:
            self.progress(job.processed, job.total)
        if self.pause:
            time.sleep(self.pause)


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
                ctx, fields = _prepare(session, parsed, options)
            planner = _Planner(ctx, options, fields, index, len(parsed.headers))
            _set_total(engine, job_id, parsed.total)
            job.total = parsed.total
            if progress:
                progress(job.processed, job.total)
            writer = _Writer(engine, job, progress, settings.import_batch_pause)
            planner.drain = writer.drain
            try:
                for rows in _regroup(parsed, job.checkpoint, size):
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
            _derive(values)
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

