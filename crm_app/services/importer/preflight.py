"""Checks run on an uploaded file before any parser touches it (DESIGN §6).

python-calamine aborts the whole process (uncatchable) on some hostile files, e.g. a
1.6 KB workbook with cells at A1 and XFD1048576, so the true extent is measured here
from the cell references themselves, ignoring the <dimension> element.

Kinds, told from the content rather than the name: "xlsx" and "ods" (zip containers), "xls"
(an OLE2 compound file that is not an encrypted .xlsx) and "csv" (text, also .txt: Excel's
"Unicode text" export).
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from crm_app.i18n import UserError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED = 1024 * 1024 * 1024
MAX_RATIO = 200  # xlsx sheets compress 10-30x; only members above RATIO_FLOOR are judged
RATIO_FLOOR = 4 * 1024 * 1024
MAX_COLUMNS = 702  # ZZ: a reference with three column letters is refused outright
_CHUNK = 1024 * 1024

_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*\"([^\"]*)\"")
# Cell (<c r="AB12">) and row (<row r="12">) references. Only the suspicious ones are
# matched, so a 100k-row sheet scans at regex-engine speed: three-letter columns and row
# numbers with as many digits as the row limit or more (compared exactly afterwards).
_WIDE_REF = re.compile(rb' r="[A-Z]{3,}[0-9]')
# Two-letter columns (AA..ZZ) are rare: once one is seen, every reference's row is read, so the
# sheet's true rows × columns can be held against the cell budget.
_TWO_LETTER_REF = re.compile(rb' r="([A-Z]{2})[0-9]')
_ANY_REF_ROW = re.compile(rb' r="[A-Z]{0,2}([0-9]+)"')
# Cells the parser may be asked to hold (rows × columns of the sheet's extent, empty ones too):
# python-calamine allocates the whole rectangle, ~30 bytes a cell, before the first row comes
# out; 200,000 rows × 30 columns fit under the parse child's memory cap with room to spare.
CELL_BUDGET = 6_000_000
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z0-9:]+)\"")


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Excel keeps a password-protected .xlsx in an OLE2 file, as a stream of this name.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


def file_kind(path: Path) -> str:
    """"xlsx", "ods", "xls" or "csv" from the content; raises UserError for anything else."""
    with path.open("rb") as fh:
        head = fh.read(8)
        if head.startswith(OLE2_MAGIC):
            fh.seek(0)
            tail = b""
            while chunk := fh.read(_CHUNK):
                if ENCRYPTED_STREAM in tail + chunk:
                    raise UserError("import.file.encrypted")
                tail = chunk[-len(ENCRYPTED_STREAM):]
            return "xls"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
        except Exception as exc:  # zipfile/zlib raise many types on corrupt input
            raise UserError("import.file.corrupt") from exc
        return "xlsx"
    text = path.suffix.lower() in TEXT_SUFFIXES
    if text and (head[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(head)):
        return "csv"  # Excel's "Unicode text" is UTF-16
    if head.startswith(b"%PDF") or b"\x00" in head:
        raise UserError("import.file.not_spreadsheet")
    if text:
        return "csv"
    raise UserError("import.file.not_spreadsheet")


def _utf16_without_bom(head: bytes) -> bool:
    """ASCII text in UTF-16 has a NUL in every other byte."""
    return len(head) >= 8 and (head[1::2] == b"\x00" * 4 or head[0::2] == b"\x00" * 4)


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: v.decode("utf-8", "replace") for k, v in _ATTR.findall(raw)}


def _check_zip(zf: zipfile.ZipFile) -> set[str]:
    """The container's limits (entries, uncompressed size, ratio); returns the member names."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UserError("import.file.bomb")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UserError("import.file.bomb")
    if total > MAX_UNCOMPRESSED:
        raise UserError("import.file.bomb")
    return {i.filename for i in infos}


def check_xlsx(path: Path, *, row_limit: int, sheet: str | None = None) -> list[str]:
    """Validate the zip container and measure the chosen sheet (default: the first visible one);
    returns the visible sheets' names. Raises UserError."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = _check_zip(zf)
            if "xl/workbook.xml" not in names:
                raise UserError("import.file.not_spreadsheet")
            sheets = _visible_sheets(zf, names)
            if not sheets:
                raise UserError("import.file.no_visible_sheet")
            if sheet is not None and sheet not in sheets:
                raise UserError("import.file.sheet_not_found", sheet=sheet)
            member = sheets[sheet if sheet is not None else next(iter(sheets))]
            _scan_sheet(zf, member, row_limit=row_limit)
            for other in sorted(n for n in names if n.endswith(".xml") or n.endswith(".rels")):
                if other != member:
                    _no_doctype(zf, other)
            return list(sheets)
    except UserError:
        raise
    except Exception as exc:  # zipfile/zlib raise many types on corrupt input
        raise UserError("import.file.corrupt") from exc


def check_ods(path: Path) -> None:
    """The zip container's limits and no DOCTYPE (entity expansion) in any XML member."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = _check_zip(zf)
            if "content.xml" not in names:
                raise UserError("import.file.not_spreadsheet")
            for member in sorted(n for n in names if n.endswith(".xml") or n.endswith(".rdf")):
                _no_doctype(zf, member)
    except UserError:
        raise
    except Exception as exc:
        raise UserError("import.file.corrupt") from exc


def _read_small(zf: zipfile.ZipFile, member: str) -> bytes:
    with zf.open(member) as fh:
        data = fh.read(16 * 1024 * 1024 + 1)
    if len(data) > 16 * 1024 * 1024 or b"<!DOCTYPE" in data:
        raise UserError("import.file.corrupt")
    return data


def _no_doctype(zf: zipfile.ZipFile, member: str) -> None:
    tail = b""
    with zf.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            if b"<!DOCTYPE" in tail + chunk:
                raise UserError("import.file.corrupt")
            tail = chunk[-16:]


def _visible_sheets(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Visible sheets in workbook order: name → zip member."""
    workbook = _read_small(zf, "xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _read_small(zf, rels_name) if rels_name in names else b""
    targets = {}
    for raw in _REL_TAG.findall(rels):
        a = _attrs(raw)
        target = a.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[a.get("Id", "")] = target
    sheets: dict[str, str] = {}
    for raw in _SHEET_TAG.findall(workbook):
        a = _attrs(raw)
        if a.get("state", "visible") != "visible":
            continue
        member = targets.get(a.get("id", ""))
        if member is None or member not in names:
            raise UserError("import.file.corrupt")
        sheets[html.unescape(a.get("name", ""))] = member
    return sheets


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _scan_sheet(zf: zipfile.ZipFile, member: str, *, row_limit: int) -> None:
    """Stream the sheet XML once: true extent from r="..." references (rows, columns and their
    product against the cell budget), merges, DOCTYPE."""
    max_rows = row_limit + 1  # the header row
    digits = len(str(max_rows))
    long_row = re.compile(rb' r="[A-Z]{0,2}([0-9]{%d,})"' % digits)
    tail = b""
    width, height, wide = 26, 0, False  # columns up to Z are assumed: counting them costs a full parse
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            if b"<!DOCTYPE" in buf:
                raise UserError("import.file.corrupt")
            if _WIDE_REF.search(buf):
                raise UserError("import.file.too_many_columns", limit=MAX_COLUMNS)
            if any(int(n) > max_rows for n in long_row.findall(buf)):
                raise UserError("import.file.too_many_rows", limit=row_limit)
            if two := _TWO_LETTER_REF.findall(buf):
                width, wide = max(width, *map(_column_number, two)), True
            if wide:
                height = max(height, *map(int, _ANY_REF_ROW.findall(buf) or [b"0"]))
            elif (last := _ANY_REF_ROW.search(buf, max(0, buf.rfind(b' r="') - 1))) is not None:
                height = max(height, int(last[1]))  # rows come in order: the last reference is the deepest
            if width * height > CELL_BUDGET:
                raise UserError("import.file.too_many_cells", rows=height, columns=width, limit=CELL_BUDGET)
            if b"mergeCell " in buf and (merge := _MERGE.search(buf)):
                raise UserError("import.file.merged", ref=merge.group(1).decode())
            if not chunk:
                break
            tail = buf[-64:]  # a reference split across two chunks is seen whole in the next buffer
