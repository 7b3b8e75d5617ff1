"""Reading .xlsx (python-calamine in a memory-capped child process) and .csv (UTF-8) files.

Both yield the same thing: the header row, then batches of (sheet row number, values).
"""

from __future__ import annotations

import csv
import datetime as dt
import marshal
import os
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from crm_app.i18n import UserError
from crm_app.services.importer.preflight import check_xlsx, file_kind
from crm_app.services.text import fold

CHILD = Path(__file__).with_name("parse_child.py")
CHILD_MEMORY = 2 * 1024 * 1024 * 1024
CHILD_TIMEOUT = 600
CSV_BATCH = 2000

Row = tuple[int, list[object]]


@dataclass
class ParsedFile:
    """A parsed file on disk (a temp file of batches for .xlsx); iterate with `batches()`."""

    kind: str
    headers: list[str]
    header_row: int
    total: int
    _source: Path
    _temp: Path | None = None
    _csv_encoding: str = "utf-8-sig"
    _csv_dialect: type[csv.Dialect] | None = field(default=None, repr=False)

    def batches(self, start_after: int = 0) -> Iterator[list[Row]]:
        """Batches of data rows; rows numbered <= start_after are left out (resume)."""
        source = self._xlsx_batches() if self.kind == "xlsx" else self._csv_batches()
        for batch in source:
            kept = [r for r in batch if r[0] > start_after]
            if kept:
                yield kept

    def close(self) -> None:
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None

    def __enter__(self) -> ParsedFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _xlsx_batches(self) -> Iterator[list[Row]]:
        assert self._temp is not None
        with self._temp.open("rb") as fh:
            while True:
                tag, *payload = _read_record(fh)
                if tag == "B":
                    yield payload[0]
                elif tag == "D":
                    yield [(n, [_revive(v) for v in values]) for n, values in payload[0]]
                elif tag == "E":
                    return

    def _csv_batches(self) -> Iterator[list[Row]]:
        with self._source.open("r", encoding=self._csv_encoding, newline="") as fh:
            reader = csv.reader(fh, self._csv_dialect or csv.excel)
            batch: list[Row] = []
            for number, values in enumerate(reader, start=1):
                if number <= self.header_row or not any(v.strip() for v in values):
                    continue
                batch.append((number, list(values)))
                if len(batch) >= CSV_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch


def _read_record(fh: BinaryIO) -> tuple[Any, ...]:
    """One record as parse_child.py frames it."""
    size = int.from_bytes(fh.read(8), "little")
    return marshal.loads(fh.read(size))  # noqa: S302 - our own child wrote it


def _revive(value: object) -> object:
    if isinstance(value, tuple):
        if value[0] == "D":
            return dt.date(*value[1:])
        return dt.datetime(*value[1:])
    return value


def cell_text(value: object) -> str:
    """A cell as the text a user typed: 12.0 → "12", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == dt.time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def _headers(values: list[object]) -> list[str]:
    headers = [cell_text(v) for v in values]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise UserError("import.file.empty_header")
    blanks = [str(i + 1) for i, h in enumerate(headers) if not h]
    if blanks:
        raise UserError("import.file.blank_header", columns=", ".join(blanks))
    # Headers that differ only by case, accents or spaces would map to the same field.
    counts = Counter(fold(h) for h in headers)
    dupes = [h for h in headers if counts[fold(h)] > 1]
    if dupes:
        raise UserError("import.file.duplicate_header", headers=", ".join(dupes))
    return headers


def parse_file(path: Path, *, row_limit: int, while_parsing: Callable[[], None] | None = None) -> ParsedFile:
    """Preflight and parse; raises UserError with a Vietnamese message for any bad file.

    `while_parsing` runs in this process while the child parses (e.g. loading the dedup index).
    """
    kind = file_kind(path)
    if kind == "csv":
        if while_parsing:
            while_parsing()
        return _parse_csv(path, row_limit=row_limit)
    check_xlsx(path, row_limit=row_limit)
    fd, temp_name = tempfile.mkstemp(prefix="crm-import-", suffix=".rows")
    os.close(fd)
    temp = Path(temp_name)
    try:
        proc = subprocess.Popen(  # noqa: S603 - fixed interpreter and script, file names as arguments
            [sys.executable, "-I", str(CHILD), str(path), str(temp)],
            preexec_fn=_limit_child, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        try:
            if while_parsing:
                while_parsing()
            out, _err = proc.communicate(timeout=CHILD_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode == 3:
            raise UserError("import.file.no_visible_sheet")
        if proc.returncode != 0:
            raise UserError("import.file.corrupt")
        total = int(out.decode().strip())
        with temp.open("rb") as fh:
            tag, header_values, header_row = _read_record(fh)
        if header_row != 1 or tag != "H":
            raise UserError("import.file.empty_header")
        headers = _headers(header_values)
        _check_total(total, row_limit)
        return ParsedFile(kind="xlsx", headers=headers, header_row=header_row, total=total,
                          _source=path, _temp=temp)
    except UserError:
        temp.unlink(missing_ok=True)
        raise
    except Exception as exc:  # timeout, truncated output, anything: the file is the problem
        temp.unlink(missing_ok=True)
        raise UserError("import.file.corrupt") from exc


def _check_total(total: int, row_limit: int) -> None:
    if total == 0:
        raise UserError("import.file.no_rows")
    if total > row_limit:
        raise UserError("import.file.too_many_rows", limit=row_limit)


def _parse_csv(path: Path, *, row_limit: int) -> ParsedFile:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(64 * 1024)
            try:
                dialect: type[csv.Dialect] = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            fh.seek(0)
            reader = csv.reader(fh, dialect)
            first = next(reader, None)
            if first is None or not any(v.strip() for v in first):
                raise UserError("import.file.empty_header")
            headers = _headers(list(first))
            total = sum(1 for values in reader if any(v.strip() for v in values))
    except UnicodeDecodeError as exc:
        raise UserError("import.file.csv_encoding") from exc
    except csv.Error as exc:
        raise UserError("import.file.corrupt") from exc
    _check_total(total, row_limit)
    return ParsedFile(kind="csv", headers=headers, header_row=1, total=total, _source=path,
                      _csv_dialect=dialect)


def preview(parsed: ParsedFile, rows: int = 3) -> list[list[str]]:
    out: list[list[str]] = []
    for batch in parsed.batches():
        for _number, values in batch:
            out.append([cell_text(v) for v in values[: len(parsed.headers)]])
            if len(out) >= rows:
                return out
    return out

