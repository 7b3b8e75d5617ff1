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
import struct
import zipfile
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

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


def check_ods(path: Path, *, row_limit: int, sheet: str | None = None) -> None:
    """The zip container's limits, no DOCTYPE (entity expansion) in any XML member, and the
    sheets' extents against the cell budget and the row limit (see `check_extents`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = _check_zip(zf)
            if "content.xml" not in names:
                raise UserError("import.file.not_spreadsheet")
            for member in sorted(n for n in names if n.endswith(".xml") or n.endswith(".rdf")):
                _no_doctype(zf, member)
            with zf.open("content.xml") as fh:
                extents = ods_extents(fh)
    except UserError:
        raise
    except Exception as exc:
        raise UserError("import.file.corrupt") from exc
    check_extents(extents, sheet=sheet, row_limit=row_limit)


# A sheet as measured before parsing: name, visible, rows and columns from A1 (empty cells inside too).
Extent = tuple[str, bool, int, int]


def check_extents(extents: list[Extent], *, sheet: str | None, row_limit: int) -> None:
    """python-calamine reads every sheet of an .xls or .ods when it opens the file, hidden ones
    too, each as a full rows × columns rectangle: their sum is held against the cell budget. The
    row limit applies to the sheet to be read (named, else the first visible one)."""
    for _name, _visible, _rows, columns in extents:
        if columns > MAX_COLUMNS:
            raise UserError("import.file.too_many_columns", limit=MAX_COLUMNS)
    if sum(rows * columns for _n, _v, rows, columns in extents) > CELL_BUDGET:
        _n, _v, rows, columns = max(extents, key=lambda e: e[2] * e[3])
        raise UserError("import.file.too_many_cells", rows=rows, columns=columns, limit=CELL_BUDGET)
    chosen = [e for e in extents if (e[0] == sheet if sheet is not None else e[1])][:1]
    if chosen and chosen[0][2] > row_limit + 1:  # the header row
        raise UserError("import.file.too_many_rows", limit=row_limit)


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_T = f"{{{_TABLE_NS}}}"
_S = f"{{{_STYLE_NS}}}"
_O = f"{{{_OFFICE_NS}}}"
_ODS_CELLS = (_T + "table-cell", _T + "covered-table-cell")


def ods_extents(fh: IO[bytes]) -> list[Extent]:
    """Each sheet's rows × columns holding content, streamed from an .ods content.xml: repeated
    rows and cells (table:number-rows-repeated, table:number-columns-repeated) are counted, never
    expanded. Trailing empty rows and cells (LibreOffice writes a million of them, repeated) do not
    count: the parser drops them too. Stops as soon as the cells exceed the budget."""
    hidden_styles: set[str] = set()
    extents: list[Extent] = []
    name, visible = "", True
    row = height = width = cells_in_row = 0
    row_has_content = False
    done = 0  # cells of the sheets already measured
    for event, elem in ElementTree.iterparse(fh, events=("start", "end")):  # noqa: S314 - DOCTYPE refused above
        tag = elem.tag
        if event == "start":
            if tag == _T + "table":
                name = elem.get(_T + "name", "")
                visible = elem.get(_T + "style-name", "") not in hidden_styles
                row = height = width = 0
            elif tag == _T + "table-row":
                cells_in_row, row_has_content = 0, False
            continue
        if tag in _ODS_CELLS:
            cells_in_row += _repeat(elem, "number-columns-repeated")
            if len(elem) or elem.get(_O + "value-type"):
                row_has_content = True
                width = max(width, cells_in_row)
            elem.clear()
        elif tag == _T + "table-row":
            row += _repeat(elem, "number-rows-repeated")
            if row_has_content:
                height = row
                if done + height * width > CELL_BUDGET or width > MAX_COLUMNS:
                    return [*extents, (name, visible, height, width)]  # enough to refuse
            elem.clear()
        elif tag == _T + "table":
            extents.append((name, visible, height, width))
            done += height * width
            elem.clear()
        elif tag == _S + "style":
            props = elem.find(_S + "table-properties")
            if props is not None and props.get(_T + "display") == "false":
                hidden_styles.add(elem.get(_S + "name", ""))
            elem.clear()
    return extents


def _repeat(elem: ElementTree.Element, attr: str) -> int:
    try:
        return max(1, int(elem.get(_T + attr, "1")))
    except ValueError:
        return 1


# BIFF8 (.xls): the workbook stream inside the OLE2 compound file.
_OLE_FREE, _OLE_END = 0xFFFFFFFF, 0xFFFFFFFE
_BIFF_BOUNDSHEET, _BIFF_BOF, _BIFF_EOF, _BIFF_DIMENSIONS = 0x0085, 0x0809, 0x000A, 0x0200
# Records holding one cell (row, column first) and the two holding a run of cells in one row
# (row, first column, ..., last column in the record's last two bytes).
_BIFF_CELLS = {0x0006, 0x00FD, 0x0203, 0x0201, 0x0204, 0x0205, 0x027E, 0x00D6}
_BIFF_RUNS = {0x00BD, 0x00BE}


def check_xls(path: Path, *, row_limit: int, sheet: str | None = None) -> None:
    """The sheets' extents against the cell budget and the row limit (see `check_extents`), from
    the BIFF records themselves: the DIMENSIONS record and every cell record's row and column (a
    hostile file can understate DIMENSIONS; the parser places cells where they say). Reads record
    headers only, no cell values."""
    try:
        stream = _ole_stream(path.read_bytes(), ("Workbook", "Book"))
        extents = xls_extents(stream) if stream is not None else []
    except UserError:
        raise
    except Exception as exc:  # struct/index errors on a corrupt file
        raise UserError("import.file.corrupt") from exc
    check_extents(extents, sheet=sheet, row_limit=row_limit)


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """A stream of an OLE2 compound file by name (FAT and mini FAT chains followed, loops cut)."""
    if not data.startswith(OLE2_MAGIC) or len(data) < 512:
        raise UserError("import.file.corrupt")
    size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    if size not in (512, 4096) or mini_size != 64:
        raise UserError("import.file.corrupt")
    (n_fat, first_dir, _tx, cutoff, first_minifat, _n_minifat, first_difat, n_difat) = struct.unpack_from(
        "<IIIIIIII", data, 0x2C)
    sectors = (len(data) - 512) // size + 1

    def sector(n: int) -> bytes:
        if n >= sectors:
            raise UserError("import.file.corrupt")
        return data[(n + 1) * size:(n + 2) * size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    nxt = first_difat
    for _ in range(min(n_difat, sectors)):
        if nxt in (_OLE_FREE, _OLE_END):
            break
        block = struct.unpack(f"<{size // 4}I", sector(nxt))
        difat.extend(block[:-1])
        nxt = block[-1]
    fat: list[int] = []
    for n in difat[:n_fat]:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(n)))

    def chain(start: int, table: list[int]) -> list[int]:
        out = []
        while start not in (_OLE_FREE, _OLE_END) and len(out) <= len(table):
            if start >= len(table):
                raise UserError("import.file.corrupt")
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(n) for n in chain(first_dir, fat))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off:off + max(0, name_len - 2)].decode("utf-16-le", "replace")
        kind = directory[off + 66]
        start, length = struct.unpack_from("<II", directory, off + 116)
        entries.append((name, kind, start, length))
    if not entries:
        raise UserError("import.file.corrupt")
    by_name = {name: (kind, start, length) for name, kind, start, length in entries if kind == 2}
    for wanted in names:
        if wanted not in by_name:
            continue
        _kind, start, length = by_name[wanted]
        if length >= cutoff:
            return b"".join(sector(n) for n in chain(start, fat))[:length]
        root = entries[0]
        mini_stream = b"".join(sector(n) for n in chain(root[2], fat))
        minifat: list[int] = []
        for n in chain(first_minifat, fat):
            minifat.extend(struct.unpack(f"<{size // 4}I", sector(n)))
        return b"".join(mini_stream[n * 64:(n + 1) * 64] for n in chain(start, minifat))[:length]
    return None


def xls_extents(stream: bytes) -> list[Extent]:
    """Each worksheet's rows × columns from A1 in a BIFF8 workbook stream: the larger of its
    DIMENSIONS record and its cells' own positions."""
    unpack = struct.unpack_from
    end = len(stream)
    sheets: list[tuple[str, bool, int]] = []
    pos = 0
    while pos + 4 <= end:  # the workbook globals: BOUNDSHEET records name each sheet's offset
        rtype, rlen = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype == _BIFF_BOUNDSHEET and rlen >= 8:
            sheet_pos, hidden, kind = unpack("<IBB", stream, body)
            if kind == 0:  # a worksheet (not a chart or macro sheet)
                sheets.append((_biff_short_string(stream[body + 6:body + rlen]), hidden & 3 == 0, sheet_pos))
        elif rtype == _BIFF_EOF:
            break
        pos = body + rlen
    return [(name, visible, *_biff_sheet_extent(stream, offset)) for name, visible, offset in sheets]


def _biff_sheet_extent(stream: bytes, offset: int) -> tuple[int, int]:
    unpack = struct.unpack_from
    end = len(stream)
    rows = columns = 0
    if offset + 4 > end or unpack("<H", stream, offset)[0] != _BIFF_BOF:
        raise UserError("import.file.corrupt")
    pos = offset + 4 + unpack("<H", stream, offset + 2)[0]
    while pos + 4 <= end:
        rtype, rlen = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype in _BIFF_CELLS and rlen >= 4:
            row, col = unpack("<HH", stream, body)
            rows, columns = max(rows, row + 1), max(columns, col + 1)
        elif rtype in _BIFF_RUNS and rlen >= 6:
            row = unpack("<H", stream, body)[0]
            last = unpack("<H", stream, body + rlen - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif rtype == _BIFF_DIMENSIONS and rlen >= 12:
            _r0, r1, _c0, c1 = unpack("<IIHH", stream, body)
            rows, columns = max(rows, r1), max(columns, c1)
        elif rtype in (_BIFF_EOF, _BIFF_BOF):
            break
        pos = body + rlen
    return rows, columns


def _biff_short_string(raw: bytes) -> str:
    """BIFF8 ShortXLUnicodeString: length in characters, a flags byte (bit 0: UTF-16), the text."""
    if len(raw) < 2:
        return ""
    length, flags = raw[0], raw[1]
    if flags & 1:
        return raw[2:2 + 2 * length].decode("utf-16-le", "replace")
    return raw[2:2 + length].decode("latin-1")


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
    # One pass finds any reference the three checks below would look at (two letters or more, or
    # a long row number): most chunks have none, and each regex pass costs ~0.3 s on 80 MB of XML.
    suspicious = re.compile(rb' r="(?:[A-Z]{2}|[A-Z]?[0-9]{%d})' % digits)
    tail = b""
    width, height, wide = 26, 0, False  # columns up to Z are assumed: counting them costs a full parse
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            if b"<!DOCTYPE" in buf:
                raise UserError("import.file.corrupt")
            if suspicious.search(buf):
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
