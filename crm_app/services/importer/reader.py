"""Reading spreadsheets (.xlsx, .xls, .ods: python-calamine in a memory-capped child process) and
CSV text (UTF-8 with or without BOM, UTF-16, Windows-1258/1252; comma, semicolon or tab).

All yield the same thing: the header row, then batches of (sheet row number, values).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import marshal
import os
import re
import resource
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from crm_app.i18n import UserError
from crm_app.services.importer.preflight import MAX_COLUMNS, check_ods, check_xls, check_xlsx, file_kind
from crm_app.services.text import fold

CHILD = Path(__file__).with_name("parse_child.py")
CHILD_MEMORY = 1024 * 1024 * 1024  # the parse child's address space: a hostile file dies there, alone
CHILD_TIMEOUT = 600
CSV_BATCH = 2000

Row = tuple[int, list[object]]


# The encodings a CSV may come in, as the review step names them.
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16 (Unicode)", "cp1258": "Windows-1258",
                  "cp1252": "Windows-1252"}
DELIMITER_NAMES = {",": ",", ";": ";", "\t": "Tab"}
# Excel's own separator hint, alone on a CSV's first line: sep=; (quoted or not, any case).
_SEPARATOR_HINT = re.compile(r'^"?sep=([^"\r\n])"?\r?$', re.IGNORECASE)


@dataclass
class ParsedFile:
    """A parsed file on disk (a temp file of batches for spreadsheets); iterate with `batches()`.
    `sheets` are the workbook's visible sheets (empty for CSV), `sheet` the one read."""

    kind: str
    headers: list[str]
    header_row: int
    total: int
    _source: Path
    _temp: Path | None = None
    _csv_encoding: str = "utf-8-sig"
    _csv_dialect: type[csv.Dialect] | None = field(default=None, repr=False)
    sheets: list[str] = field(default_factory=list)
    sheet: str = ""

    @property
    def encoding(self) -> str:
        """The CSV's character encoding as a user knows it ("" for a spreadsheet)."""
        return ENCODING_NAMES.get(self._csv_encoding, self._csv_encoding) if self.kind == "csv" else ""

    @property
    def delimiter(self) -> str:
        if self.kind != "csv" or self._csv_dialect is None:
            return ""
        return DELIMITER_NAMES.get(self._csv_dialect.delimiter, self._csv_dialect.delimiter)

    def batches(self, start_after: int = 0) -> Iterator[list[Row]]:
        """Batches of data rows; rows numbered <= start_after are left out (resume)."""
        source = self._csv_batches() if self.kind == "csv" else self._xlsx_batches()
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
        compose = self._csv_encoding == "cp1258"
        with self._source.open("r", encoding=self._csv_encoding, newline="") as fh:
            reader = csv.reader(fh, self._csv_dialect or csv.excel)
            batch: list[Row] = []
            for number, values in enumerate(reader, start=1):
                if number <= self.header_row or not any(v.strip() for v in values):
                    continue
                batch.append((number, _nfc(values) if compose else list(values)))
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


def parse_file(path: Path, *, row_limit: int, sheet: str | None = None,
               while_parsing: Callable[[], None] | None = None) -> ParsedFile:
    """Preflight and parse; raises UserError with a Vietnamese message for any bad file.

    `sheet`: the workbook's sheet to read (default: the first visible one; ignored for CSV).
    `while_parsing` runs in this process while the child parses (e.g. loading the dedup index).
    """
    kind = file_kind(path)
    if kind == "csv":
        if while_parsing:
            while_parsing()
        return _parse_csv(path, row_limit=row_limit)
    if kind == "xlsx":
        check_xlsx(path, row_limit=row_limit, sheet=sheet)
    elif kind == "ods":
        check_ods(path, row_limit=row_limit, sheet=sheet)
    else:
        check_xls(path, row_limit=row_limit, sheet=sheet)
    fd, temp_name = tempfile.mkstemp(prefix="crm-import-", suffix=".rows")
    os.close(fd)
    temp = Path(temp_name)
    try:
        proc = subprocess.Popen(  # noqa: S603 - fixed interpreter and script, file names as arguments
            [sys.executable, "-I", str(CHILD), str(path), str(temp), *([sheet] if sheet is not None else [])],
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
        if proc.returncode == 4:
            raise UserError("import.file.sheet_not_found", sheet=sheet or "")
        if proc.returncode != 0:
            raise UserError("import.file.corrupt")
        count, names = out.decode().splitlines()[:2]
        total, sheets = int(count), [str(n) for n in json.loads(names)]
        with temp.open("rb") as fh:
            tag, header_values, header_row = _read_record(fh)
        if header_row != 1 or tag != "H":
            raise UserError("import.file.empty_header")
        headers = _headers(header_values)
        _check_total(total, row_limit)
        return ParsedFile(kind=kind, headers=headers, header_row=header_row, total=total,
                          _source=path, _temp=temp, sheets=sheets, sheet=sheet if sheet is not None else sheets[0])
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
    encoding = detect_encoding(path)
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            sample = fh.read(64 * 1024)
            # Excel's own hint, written by exporters so that Excel splits the file right: "sep=;"
            # alone on the first line, the header on the second.
            hint = _SEPARATOR_HINT.match(sample.split("\n", 1)[0])
            dialect = _dialect(hint.group(1)) if hint else detect_dialect(sample)
            fh.seek(0)
            reader = csv.reader(fh, dialect)
            if hint:
                next(reader, None)
            first = next(reader, None)
            if first is None or not any(v.strip() for v in first):
                raise UserError("import.file.empty_header")
            if len(first) > MAX_COLUMNS:
                raise UserError("import.file.too_many_columns", limit=MAX_COLUMNS)
            headers = _headers(_nfc(first) if encoding == "cp1258" else list(first))
            total = width = 0
            for values in reader:
                if any(v.strip() for v in values):
                    total += 1
                    width = max(width, len(values))
            if width > MAX_COLUMNS:  # a data row wider than any sheet: the rows would be held whole
                raise UserError("import.file.too_many_columns", limit=MAX_COLUMNS)
    except UnicodeError as exc:
        raise UserError("import.file.csv_encoding") from exc
    except csv.Error as exc:
        raise UserError("import.file.corrupt") from exc
    _check_total(total, row_limit)
    return ParsedFile(kind="csv", headers=headers, header_row=2 if hint else 1, total=total, _source=path,
                      _csv_encoding=encoding, _csv_dialect=dialect)


def _nfc(values: list[str]) -> list[str]:
    """Windows-1258 writes most Vietnamese letters as a base letter and a combining tone mark."""
    return [v if v.isascii() else unicodedata.normalize("NFC", v) for v in values]


# Letters only Vietnamese text has (ă đ ơ ư) and the combining tone marks Windows-1258 decodes to.
_VIETNAMESE = set("ăđơưĂĐƠƯ\u0300\u0301\u0303\u0309\u0323")
_DETECT_SAMPLE = 256 * 1024


def detect_encoding(path: Path) -> str:
    """The CSV's encoding as a Python codec: a BOM says it outright; text that decodes as UTF-8
    is UTF-8; otherwise the Windows code page a Vietnamese (1258) or Western (1252) Excel saved
    it in, told apart by charset-normalizer and by letters only Vietnamese has."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        if len(head) == 4 and head[1::2] == b"\x00\x00":
            return "utf-16-le"
        if len(head) == 4 and head[0::2] == b"\x00\x00":
            return "utf-16-be"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        sample = bytearray()  # lines with non-ASCII bytes: what tells the code pages apart
        utf8 = True
        for line in fh:
            if line.isascii():
                continue
            if utf8:
                try:
                    decoder.decode(line)
                except UnicodeDecodeError:
                    utf8 = False
            if len(sample) < _DETECT_SAMPLE:
                sample += line
            elif not utf8:
                break
    if utf8:
        return "utf-8-sig"
    from charset_normalizer import from_bytes  # imported here: only legacy CSVs need it

    matches = from_bytes(bytes(sample), cp_isolation=["cp1258", "cp1252"])
    found = {m.encoding for m in matches}
    if "cp1258" in found and _VIETNAMESE & set(bytes(sample).decode("cp1258")):
        return "cp1258"
    best = matches.best()
    if best is None:
        raise UserError("import.file.csv_encoding")
    return best.encoding


def detect_dialect(sample: str) -> type[csv.Dialect]:
    """Comma, semicolon or tab: the one that splits the header into the most columns and the
    following lines into as many (csv.Sniffer guesses wrong on short files and on commas inside
    Vietnamese addresses)."""
    lines = sample.splitlines()[:50]
    if sample and sample[-1] not in "\r\n" and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        score = (consistent if width > 1 else -1, width)
        if score > best_score:
            best, best_score = delimiter, score
    return _dialect(best)


def _dialect(separator: str) -> type[csv.Dialect]:
    class Dialect(csv.excel):
        delimiter = separator

    return Dialect


def preview(parsed: ParsedFile, rows: int = 3) -> list[list[str]]:
    out: list[list[str]] = []
    for batch in parsed.batches():
        for _number, values in batch:
            out.append([cell_text(v) for v in values[: len(parsed.headers)]])
            if len(out) >= rows:
                return out
    return out

