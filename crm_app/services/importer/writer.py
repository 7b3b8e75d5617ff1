"""Writing an import: planned batches committed in order on a thread of their own, each batch one
transaction with the job's counters and checkpoint (multi-row INSERT on SQLite, COPY on
PostgreSQL, a Core update of matched records, the rows' issues). A crash therefore leaves whole
batches only, and the checkpoint (the last file row committed) tells a resumed run where to start,
so no row is imported twice."""

from __future__ import annotations

import io
import json
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from crm_app.fields import INPUT_IMPORT, STATUS_NEW
from crm_app.i18n import UserError, t
from crm_app.models import AuditEntry, ImportChange, ImportJob, utcnow
from crm_app.services.importer.planner import Batch, Pending, T, apply_values, issue
from crm_app.services.text import derived_keys

Progress = Callable[[int, int], None]
# Columns an import may write (assigned_to maps to assigned_to_id; custom fields live in "custom").
DATA_COLUMNS = ("salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
                "website", "lead_source", "customer_type", "birthday", "street", "ward", "district",
                "province", "country", "description", "assigned_to_id", "status")
DERIVED = ("email_key", "search_text", "custom", "modified_at", "modified_by_id")
ISSUE_COLUMNS = ("job_id", "kind", "row_number", "values", "reason")
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
# Seconds this process spent writing timeline entries (the benchmark prints it).
timeline_seconds = 0.0
# What a database refusing a row raises: SQLAlchemy's wrapper, or the driver's own error from the
# raw cursors COPY and the multi-row INSERTs use.
try:
    from psycopg2 import Error as _PgError
    from psycopg2 import OperationalError as _PgOperational
except ImportError:  # pragma: no cover - psycopg2 is a dependency
    _PgError, _PgOperational = sqlite3.Error, sqlite3.OperationalError  # type: ignore[misc,assignment]
DB_REFUSED = (DBAPIError, sqlite3.Error, _PgError)
# ...but not a lost connection, a lock or a cancelled query: those stop the run, which resumes.
_TRANSIENT = (sqlite3.OperationalError, _PgOperational)
# Bound parameters per SQLite statement (the library's compile-time maximum, 32,766 by default).
_SQLITE_VARIABLES = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def derive(values: dict[str, Any]) -> None:
    """email_key and search_text, by the one definition (services.text.derived_keys)."""
    values.update(derived_keys(values))


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def _write_batch(conn: Connection, job: ImportJob, batch: Batch, user_id: int, inserts: _Rows | None,
                 issue_rows: _Rows | None) -> None:
    assert job.id is not None
    now = utcnow()
    timeline: list[dict[str, Any]] = []
    if batch.updates:
        ids = sorted({rid for rid, _v, _n in batch.updates})
        current = {r["id"]: dict(r) for r in conn.execute(
            select(T.c.id, *[T.c[c] for c in (*DATA_COLUMNS, "custom")]).where(T.c.id.in_(ids))).mappings()}
        changes = []
        for rid, values, _number in batch.updates:
            record = current.get(rid)
            if record is None:  # deleted by someone meanwhile: nothing to update
                continue
            action = "overwritten" if job.options.get("on_duplicate") == "overwrite" else "merged"
            old = apply_values(record, values, overwrite=action == "overwritten")
            if old:
                changes.append({"job_id": job.id, "record_id": rid, "old_values": _jsonable(old), "action": action})
            timeline.append({"entity": "raw_lead", "entity_id": rid, "action": action, "source": f"import:{job.id}",
                             "user_id": user_id, "changes": _old_new(old, record), "created_at": now})
        for record in current.values():
            derive(record)
            record.update(_id=record.pop("id"), modified_at=now, modified_by_id=user_id)
        cols = (*DATA_COLUMNS, *DERIVED)
        conn.execute(update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols}),
                     [{c: r[c] for c in (*cols, "_id")} for r in current.values()])
        if changes:
            conn.execute(insert(ImportChange.__table__), changes)  # type: ignore[attr-defined]
    ids: list[int] = []
    if inserts:
        ids = _insert_ids(conn, inserts, job.id)
        for pending, rid in zip(batch.creates, ids, strict=True):
            pending.record_id = rid
    _write_timeline(conn, job.id, user_id, ids, timeline, now)
    if issue_rows:
        issue_rows.insert(conn, "import_row_issues")


def _old_new(old: dict[str, Any], record: dict[str, Any]) -> dict[str, list[Any]]:
    """The timeline's "field: old → new" pairs of what an import changed (custom fields one by one)."""
    out: dict[str, list[Any]] = {}
    for key, before in old.items():
        if key == "custom":
            after = record.get("custom") or {}
            for name, value in after.items():
                if (before or {}).get(name) != value:
                    out[f"cf_{name}"] = [(before or {}).get(name), value]
            continue
        out[key] = [before, record.get(key)]
    return {k: [v.isoformat() if isinstance(v, date | datetime) else v for v in pair] for k, pair in out.items()}


def _write_timeline(conn: Connection, job_id: int, user_id: int, created: list[int],
                    updated: list[dict[str, Any]], now: datetime) -> None:
    """One timeline entry per record the batch created, overwrote or merged, naming the import
    (source "import:<id>", which the timeline links to its result), in two statements: the created
    records' entries by INSERT … SELECT over the ids just inserted (the database makes them, no
    row crosses the driver), the updated records' with their old → new values as one executemany."""
    global timeline_seconds
    started = time.perf_counter()
    source = f"import:{job_id}"
    if created:
        # No changes: the JSON text "{}" (PostgreSQL wants it cast, SQLite would turn a cast into 0).
        empty = literal("{}") if conn.dialect.name == "sqlite" else cast(literal("{}"), JSON)
        rows = select(literal("raw_lead"), T.c.id, literal("created"), literal(source), literal(user_id),
                      empty, literal(now, AUDIT.c.created_at.type)).where(
            T.c.id.between(min(created), max(created)), T.c.import_job_id == job_id)
        conn.execute(insert(AUDIT).from_select(
            ["entity", "entity_id", "action", "source", "user_id", "changes", "created_at"], rows))
    if updated:
        conn.execute(insert(AUDIT), updated)
    timeline_seconds += time.perf_counter() - started


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
        derive(values)
        values["custom"] = json.dumps(values["custom"]) if values["custom"] else "{}"
        values["created_at"] = values["modified_at"] = stamp
        if values["birthday"] is not None:
            values["birthday"] = values["birthday"].isoformat()
        rows.append(values)
    cols = tuple(rows[0])
    table = list(map(itemgetter(*cols), rows))
    if dialect != "sqlite" or len(table) < 2:
        return _Rows.of(cols, table, dialect)
    # Columns with one value in the whole batch (status, source, job, user, timestamps, and those
    # the file leaves empty) are bound once in the INSERT ... SELECT rather than once per row:
    # binding is the writer thread's own Python time, and it holds the GIL the planner needs.
    columns = list(zip(*table, strict=True))
    varying = [i for i, values in enumerate(columns) if len(set(values)) > 1] or [0]
    consts = {cols[i]: columns[i][0] for i in range(len(cols)) if i not in varying}
    return _Rows.of(tuple(cols[i] for i in varying), list(zip(*(columns[i] for i in varying), strict=True)),
                    dialect, consts)


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
    consts: dict[str, Any] = field(default_factory=dict)  # SQLite: columns of one value for every row

    @classmethod
    def of(cls, cols: tuple[str, ...], rows: list[tuple[Any, ...]], dialect: str,
           consts: dict[str, Any] | None = None) -> _Rows:
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
        return cls(cols, chunks, len(rows), consts or {})

    def split(self) -> list[_Rows]:
        """One _Rows per row, for the row-by-row retry of a batch the database refused."""
        if self.chunks and isinstance(self.chunks[0], str):
            return [_Rows(self.cols, [line], 1) for line in self.chunks]  # type: ignore[list-item]
        n = len(self.cols)
        return [_Rows(self.cols, [chunk[i:i + n]], 1, self.consts)  # type: ignore[list-item]
                for chunk in self.chunks for i in range(0, len(chunk), n)]

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
        data = io.StringIO("".join(f"{line}\n" for line in lines))
        cursor.copy_expert(f"COPY {table} ({_names(cols)}) FROM STDIN", data, size=1 << 20)
        cursor.close()


def _names(cols: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in cols)  # quoted: "values" is a keyword


def _insert_ids(conn: Connection, rows: _Rows, job_id: int) -> list[int]:
    """Insert and return the new ids in row order. SQLite cannot order RETURNING under
    executemany (SQLAlchemy then inserts row by row), but inside our BEGIN IMMEDIATE
    transaction nobody else inserts, and one statement gives its rows consecutive rowids (one
    above the largest, row after row), so they are the `count` ids ending at the last one.
    PostgreSQL: the ids are drawn from the sequence first, so no RETURNING order is relied on."""
    if conn.dialect.name != "sqlite":
        ids = list(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('raw_leads', 'id')) FROM generate_series(1, %(n)s)",
            {"n": rows.count}).scalars())
        rows.insert(conn, "raw_leads", ids)
        return ids
    # Through a staging table (temporary: no index, no trigger, no affinity, so values reach
    # raw_leads exactly as bound): one INSERT ... SELECT then maintains the 25 indexes and the
    # search index the way the bench's write floor does, a third faster than a multi-row
    # VALUES insert straight into raw_leads. Rolled back with the batch or its savepoint.
    names = _names(rows.cols)
    stage = f"import_stage_{zlib.crc32(names.encode()):08x}"  # one per column list
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({names})")
    rows.insert(conn, f"temp.{stage}")
    targets = _names((*rows.cols, *rows.consts))
    conn.exec_driver_sql(f"INSERT INTO raw_leads ({targets}) SELECT {names}{', ?' * len(rows.consts)} "  # noqa: S608
                         f"FROM temp.{stage} ORDER BY rowid", tuple(rows.consts.values()))
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    conn.exec_driver_sql(f"DELETE FROM temp.{stage}")  # noqa: S608 - our own names
    ids = list(range(last - rows.count + 1, last + 1))
    # Counted on the primary key, not fetched: the rows of this job in that range are the batch.
    assert conn.execute(select(func.count()).where(T.c.id.between(ids[0], last), T.c.import_job_id == job_id)
                        ).scalar_one() == rows.count
    return ids


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(values: tuple[Any, ...]) -> str:
    """One row in COPY's text format: tab-separated, \\N for NULL, backslash escapes (only
    where needed: translate() with a mapping is slow, and most values have nothing to escape)."""
    return "\t".join([
        "\\N" if v is None else (v if v.isprintable() and "\\" not in v else v.translate(_COPY_ESCAPES))
        if type(v) is str else str(v) for v in values])


def _transient(exc: BaseException) -> bool:
    return isinstance(getattr(exc, "orig", None) or exc, _TRANSIENT)


def _reason(exc: BaseException) -> str:
    """The database's own words for refusing a row: its first line, without SQLAlchemy's wrapping."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:500]


@contextmanager
def _checkpoints_aside(engine: Engine, conn: Connection) -> Iterator[Callable[[], None]]:
    """SQLite: the import's WAL checkpoints run on a thread and connection of their own, one after
    each commit, instead of inside the commit (copying the WAL into the database and syncing both
    files): on the other core, while the writer fills the next batch. Measured: about 8 % of the
    import's time in paired runs. Yields what the writer calls after each commit."""
    if engine.dialect.name != "sqlite":
        yield lambda: None
        return
    wanted, stop = threading.Event(), threading.Event()

    def checkpoints() -> None:
        with engine.connect() as own:
            while wanted.wait() and not stop.is_set():
                wanted.clear()
                # PASSIVE: copies what it can without waiting for, or blocking, the writer. A failure
                # loses nothing: the WAL then waits for the next checkpoint, here or the app's own.
                with suppress(sqlite3.Error):
                    own.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    writer = conn.connection.driver_connection
    (own_setting,) = writer.execute("PRAGMA wal_autocheckpoint").fetchone()
    writer.execute("PRAGMA wal_autocheckpoint=0")
    thread = threading.Thread(target=checkpoints, name="import-checkpoints", daemon=True)
    thread.start()
    try:
        yield wanted.set
    finally:
        stop.set()
        wanted.set()
        thread.join()
        writer.execute(f"PRAGMA wal_autocheckpoint={int(own_setting)}")  # for the pool's next user


def add_counts(target: Any, counts: dict[str, int]) -> None:
    for key, value in counts.items():
        setattr(target, key, getattr(target, key) + value)


class Writer:
    """Commits planned batches, in order, on a thread of its own: the database's time (SQLite's
    C code and the network wait for PostgreSQL release the GIL) overlaps planning the next batch.
    Each batch is one transaction with the job's counters and checkpoint."""

    def __init__(self, engine: Engine, job: ImportJob, progress: Progress | None,
                 pause: float) -> None:
        self.engine, self.job, self.progress, self.pause = engine, job, progress, pause
        # A batch with its rows built for the driver (see `_Rows`): the creates, and the issues.
        self.queue: queue.Queue[tuple[Batch, _Rows | None, _Rows | None] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"import-{job.id}", daemon=True)
        self.thread.start()

    def put(self, batch: Batch) -> None:
        self._check()
        inserts = issue_rows = None
        if batch.creates:
            assert self.job.id is not None
            inserts = _insert_params(batch.creates, self.job.id, self.job.user_id, self.engine.dialect.name)
        for pending in batch.creates:  # from now on only its id matters, and memory is freed
            pending.dispatched, pending.values = True, {}
        if batch.issues:
            assert self.job.id is not None
            issue_rows = _issue_params(batch.issues, self.job.id, self.engine.dialect.name)
        self.queue.put((batch, inserts, issue_rows))

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
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, \
                _checkpoints_aside(self.engine, conn) as committed:
            while True:
                item = self.queue.get()
                try:
                    if item is None:
                        return
                    if self.error is None:
                        self._commit(conn, *item)
                        committed()
                except BaseException as exc:  # handed to the planning thread, which raises it
                    self.error = exc
                finally:
                    self.queue.task_done()

    def _commit(self, conn: Connection, batch: Batch, inserts: _Rows | None, issue_rows: _Rows | None) -> None:
        try:
            with conn.begin():
                self._claim(conn)
                _write_batch(conn, self.job, batch, self.job.user_id, inserts, issue_rows)
                self._advance(conn, batch)
        except DB_REFUSED as exc:
            if _transient(exc):
                raise
            # One row the database refuses never takes its batch with it: again, row by row.
            self._retry_rows(conn, batch, inserts)
        self._done()

    def _claim(self, conn: Connection) -> None:
        """Stop unless this worker still holds the job: released (an admin freed the lock) or
        taken over (this worker was presumed dead)."""
        jobs = ImportJob.__table__  # type: ignore[attr-defined]
        holder = conn.execute(select(jobs.c.status, jobs.c.worker).where(jobs.c.id == self.job.id)
                              .with_for_update()).one()
        if tuple(holder) != ("running", self.job.worker):
            raise UserError("import.job.stopped")

    def _advance(self, conn: Connection, batch: Batch) -> None:
        job, jobs = self.job, ImportJob.__table__  # type: ignore[attr-defined]
        add_counts(job, batch.counts)
        job.checkpoint, job.processed = batch.last_row, job.processed + batch.rows
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(
            checkpoint=job.checkpoint, processed=job.processed, heartbeat_at=utcnow(),
            **{k: getattr(job, k) for k in batch.counts}))

    def _retry_rows(self, conn: Connection, batch: Batch, inserts: _Rows | None) -> None:
        """Write the batch a row at a time, each in a savepoint: the rows the database refuses
        fail with its reason, in the failed-rows file; the others are written as usual."""
        job, dialect = self.job, self.engine.dialect.name
        assert job.id is not None
        refused: dict[int, str] = {}
        action = "overwritten" if job.options.get("on_duplicate") == "overwrite" else "merged"
        with conn.begin():
            self._claim(conn)
            for pending, single in zip(batch.creates, inserts.split() if inserts else [], strict=True):
                try:
                    with conn.begin_nested():
                        (pending.record_id,) = _insert_ids(conn, single, job.id)
                        _write_timeline(conn, job.id, job.user_id, [pending.record_id], [], utcnow())
                except DB_REFUSED as exc:
                    if _transient(exc):
                        raise
                    pending.record_id = None
                    refused[pending.row_number] = _reason(exc)
                    batch.counts["created"] -= 1
            for one in batch.updates:
                try:
                    with conn.begin_nested():
                        _write_batch(conn, job, Batch(updates=[one]), job.user_id, None, None)
                except DB_REFUSED as exc:
                    if _transient(exc):
                        raise
                    refused[one[2]] = _reason(exc)
                    batch.counts[action] -= 1
            issues = [i for i in batch.issues if not (i["kind"] == "warning" and i["row_number"] in refused)]
            batch.counts["warned"] -= len(batch.issues) - len(issues)
            raw = dict(batch.raw)
            width = max((len(i["values"]) for i in batch.issues), default=max(map(len, raw.values()), default=0))
            issues += [issue("failed", number, raw.get(number, []), t("import.row.refused", reason=reason), width)
                       for number, reason in sorted(refused.items())]
            batch.counts["failed"] += len(refused)
            if issues:
                _issue_params(issues, job.id, dialect).insert(conn, "import_row_issues")
            self._advance(conn, batch)

    def _done(self) -> None:
        job = self.job
        if self.progress:
            self.progress(job.processed, job.total)
        if self.pause:
            time.sleep(self.pause)
