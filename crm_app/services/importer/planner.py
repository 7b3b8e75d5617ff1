"""Planning an import: each row is converted, matched against the duplicate index (loaded once,
in chunks, as normalised keys → record ids) and classified into creates, updates and issues, in
Python over dicts and sets. Dry runs and real runs share the planner, so both count the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from crm_app.fields import FieldDef
from crm_app.i18n import t
from crm_app.models import RawLead
from crm_app.services.importer.mapping import auto_mapping
from crm_app.services.importer.options import ImportOptions, validate_options
from crm_app.services.importer.reader import ParsedFile, cell_text
from crm_app.services.importer.rows import RowContext, convert, importable_fields
from crm_app.services.text import fold

T = RawLead.__table__  # type: ignore[attr-defined]
INDEX_CHUNK = 50_000


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


# A pending create, or CRM records (modified_at, id, editable by the importing user) newest first.
Match = Pending | list[tuple[Any, int, bool]]


def load_index(conn: Connection, fields: list[FieldDef],
               may_edit: Callable[[int | None], bool] = lambda _owner: True) -> dict[tuple[Any, ...], Match]:
    """Normalised criteria → matching records, read in id-ordered chunks of key columns only;
    `may_edit` (raw_leads.access.owner_rule) marks the records the importing user may overwrite or merge."""
    cols = sorted({_db_column(f) for f in fields})
    index: dict[tuple[Any, ...], Match] = {}
    last_id = 0
    while True:
        rows = conn.execute(
            select(T.c.id, T.c.modified_at, T.c.assigned_to_id, *[T.c[c] for c in cols])
            .where(T.c.id > last_id, *[T.c[c].is_not(None) for c in cols if c != "custom"])
            .order_by(T.c.id).limit(INDEX_CHUNK)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        for row in rows:
            data = dict(zip(cols, row[3:], strict=True))
            values = {**data, **{f.key: data[_db_column(f)] for f in fields if not f.custom}}
            key = _row_key(fields, values)
            if key is not None:
                entry = index.setdefault(key, [])
                assert isinstance(entry, list)
                entry.append((row[1], row[0], may_edit(row[2])))
    for entry in index.values():
        if isinstance(entry, list) and len(entry) > 1:
            entry.sort(reverse=True)
    return index


# ---------------------------------------------------------------- the run

@dataclass
class Batch:
    creates: list[Pending] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], int]] = field(default_factory=list)  # id, values, row number
    issues: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("created", "overwritten", "skipped", "merged", "failed", "warned"), 0))
    last_row: int = 0
    rows: int = 0
    raw: list[tuple[int, list[object]]] = field(default_factory=list)  # the file rows (a retry's failures)


class Planner:
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

    def plan(self, rows: list[tuple[int, list[object]]]) -> Batch:
        batch = Batch(last_row=rows[-1][0], rows=len(rows), raw=rows)
        for number, raw in rows:
            row = convert(self.ctx, raw)
            if row.error:
                self._issue(batch, "failed", number, raw, row.error)
                continue
            warnings = self._place(batch, number, raw, row.values)
            if warnings is not None and (warnings := [*row.warnings, *warnings]):
                # One line per imported row, its reasons together (a skipped row's are moot).
                self._issue(batch, "warning", number, raw, "; ".join(warnings))
                batch.counts["warned"] += 1
        return batch

    def _place(self, batch: Batch, number: int, raw: list[object], values: dict[str, Any]) -> list[str] | None:
        """Create, update or skip one converted row; its further warnings, or None if skipped."""
        key = _row_key(self.dedup, values) if self.dedup else None
        match = self.index.get(key) if key is not None else None
        if match is None:
            return self._create(batch, number, values, key)
        action = self.options.on_duplicate
        if isinstance(match, Pending) and match.dispatched and action != "skip":
            self.drain()  # its insert is committed now: update that record by id
            assert match.record_id is not None
            if match.record_id is None:  # the database refused its row: this one is the first
                return self._create(batch, number, values, key)
            match = self.index[key] = [(None, match.record_id, True)]  # type: ignore[index]
        if isinstance(match, Pending):
            if action == "skip":
                self._issue(batch, "skipped", number, raw,
                            t("import.dup.file", row=match.row_number, fields=self.labels))
                batch.counts["skipped"] += 1
                return None
            apply_values(match.values, values, overwrite=action == "overwrite")
            batch.counts["overwritten" if action == "overwrite" else "merged"] += 1
            return []
        ids = [rid for _m, rid, _ok in match]
        if action == "skip":
            self._issue(batch, "skipped", number, raw, t("import.dup.crm", ids=_id_list(ids), fields=self.labels))
            batch.counts["skipped"] += 1
            return None
        ids = [rid for _m, rid, ok in match if ok] + [rid for _m, rid, ok in match if not ok]
        if not any(ok for _m, _rid, ok in match):
            self._issue(batch, "skipped", number, raw, t("import.dup.no_permission", ids=_id_list(ids)))
            batch.counts["skipped"] += 1
            return None
        batch.updates.append((ids[0], values, number))
        batch.counts["overwritten" if action == "overwrite" else "merged"] += 1
        if len(ids) > 1:
            return [t("import.dup.several", target=f"#{ids[0]}", others=_id_list(ids[1:]))]
        return []

    def _create(self, batch: Batch, number: int, values: dict[str, Any], key: tuple[Any, ...] | None) -> list[str]:
        pending = Pending(number, values, key)
        batch.creates.append(pending)
        batch.counts["created"] += 1
        if key is not None:
            self.index[key] = pending
        return []

    def _issue(self, batch: Batch, kind: str, number: int, raw: list[object], reason: str) -> None:
        if kind == "failed":
            batch.counts["failed"] += 1
        batch.issues.append(issue(kind, number, raw, reason, self.width))


def issue(kind: str, number: int, raw: list[object], reason: str, width: int) -> dict[str, Any]:
    return {"kind": kind, "row_number": number, "values": [cell_text(v) for v in raw[:width]], "reason": reason}


def _id_list(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {}


def apply_values(current: dict[str, Any], new: dict[str, Any], *, overwrite: bool) -> dict[str, Any]:
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


def regroup(parsed: ParsedFile, start_after: int, size: int) -> Iterator[list[tuple[int, list[object]]]]:
    buf: list[tuple[int, list[object]]] = []
    for batch in parsed.batches(start_after):
        buf.extend(batch)
        while len(buf) >= size:
            yield buf[:size]
            buf = buf[size:]
    if buf:
        yield buf


def prepare(session: Session, parsed: ParsedFile, options: ImportOptions
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
