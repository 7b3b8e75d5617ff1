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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.engine import Engine

from crm_app.fields import INPUT_IMPORT, STATUS_NEW
from crm_app.i18n import UserError
from crm_app.models import ImportChange, ImportJob, utcnow
from crm_app.services.importer.planner import Batch, Pending, T, apply_values
from crm_app.services.text import derived_keys

Progress = Callable[[int, int], None]
# Columns an import may write (assigned_to maps to assigned_to_id; custom fields live in "custom").
DATA_COLUMNS = ("salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
                "website", "lead_source", "customer_type", "birthday", "street", "ward", "district",
                "province", "country", "description", "assigned_to_id", "status")
DERIVED = ("email_key", "search_text", "custom", "modified_at", "modified_by_id")
ISSUE_COLUMNS = ("job_id", "kind", "row_number", "values", "reason")
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
    if batch.updates:
        ids = sorted({rid for rid, _v, _n in batch.updates})
        current = {r["id"]: dict(r) for r in conn.execute(
            select(T.c.id, *[T.c[c] for c in (*DATA_COLUMNS, "custom")]).where(T.c.id.in_(ids))).mappings()}
        changes = []
        for rid, values, _number in batch.updates:
            record = current.get(rid)
            if record is None:  # deleted by someone meanwhile: nothing to update
                continue
            old = apply_values(record, values, overwrite=job.options.get("on_duplicate") == "overwrite")
            if old:
                changes.append({"job_id": job.id, "record_id": rid, "old_values": _jsonable(old),
                                "action": "overwritten" if job.options.get("on_duplicate") == "overwrite"
                                else "merged"})
        for record in current.values():
            derive(record)
            record.update(_id=record.pop("id"), modified_at=now, modified_by_id=user_id)
        cols = (*DATA_COLUMNS, *DERIVED)
        conn.execute(update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols}),
                     [{c: r[c] for c in (*cols, "_id")} for r in current.values()])
        if changes:
            conn.execute(insert(ImportChange.__table__), changes)  # type: ignore[attr-defined]
    if inserts:
        for pending, rid in zip(batch.creates, _insert_ids(conn, inserts, job.id), strict=True):
            pending.record_id = rid
    if issue_rows:
        issue_rows.insert(conn, "import_row_issues")


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
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            while True:
                item = self.queue.get()
                try:
                    if item is None:
                        return
                    if self.error is None:
                        self._commit(conn, *item)
                except BaseException as exc:  # handed to the planning thread, which raises it
                    self.error = exc
                finally:
                    self.queue.task_done()

    def _commit(self, conn: Connection, batch: Batch, inserts: _Rows | None, issue_rows: _Rows | None) -> None:
        job, jobs = self.job, ImportJob.__table__  # type: ignore[attr-defined]
        with conn.begin():
            # Released (an admin freed the lock) or taken over (this worker was presumed dead).
            holder = conn.execute(select(jobs.c.status, jobs.c.worker).where(jobs.c.id == job.id)
                                  .with_for_update()).one()
            if tuple(holder) != ("running", job.worker):
                raise UserError("import.job.stopped")
            _write_batch(conn, job, batch, job.user_id, inserts, issue_rows)
            add_counts(job, batch.counts)
            job.checkpoint, job.processed = batch.last_row, job.processed + batch.rows
            conn.execute(update(jobs).where(jobs.c.id == job.id).values(
                checkpoint=job.checkpoint, processed=job.processed, heartbeat_at=utcnow(),
                **{k: getattr(job, k) for k in batch.counts}))
        if self.progress:
            self.progress(job.processed, job.total)
        if self.pause:
            time.sleep(self.pause)
