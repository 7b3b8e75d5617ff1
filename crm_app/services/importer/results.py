"""Result files: the skipped, the failed and the warned rows as .xlsx, re-importable as they are.

Cells a spreadsheet would run (= + - @ tab CR LF) get a leading space: they are written as
text and the importer strips surrounding spaces, so a round trip keeps the value.

The sheet XML is written directly (inline strings, every cell typed as text) rather than
through openpyxl, which spent ~1 ms per row here: a 10,000-row skipped file took longer than
the import itself.
"""

from __future__ import annotations

import re
import secrets
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session

from crm_app.models import ImportRowIssue
from crm_app.settings import get_settings

MAX_CELL = 32_767
ROW_HEADER = "Dòng trong file gốc"
REASON_HEADER = "Lý do"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
SHEET_NAMES = {"skipped": "Bỏ qua", "failed": "Lỗi", "warning": "Cảnh báo"}
CUT_NOTE = "(ô ở cột «{header}» dài hơn 32.767 ký tự nên đã bị cắt bớt)"


def results_dir() -> Path:
    path = get_settings().data_dir / "private" / "imports" / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_text(value: str) -> tuple[str, bool]:
    """(inert text, whether it was cut)."""
    if not value.isprintable():  # control characters are the only non-printables that matter here
        value = _CONTROL.sub(" ", value)
    if value.startswith(_FORMULA_START):
        value = " " + value
    if len(value) > MAX_CELL:
        return value[:MAX_CELL], True
    return value, False


def write_issue_file(session: Session, job_id: int, kind: str, headers: list[str]) -> str | None:
    """Write the job's `kind` rows (skipped | failed | warning) to a new file; None when there are none."""
    issues = ImportRowIssue.__table__  # type: ignore[attr-defined]
    where = (issues.c.job_id == job_id, issues.c.kind == kind)
    conn = session.connection()
    if conn.execute(select(issues.c.id).where(*where).limit(1)).first() is None:
        return None
    path = results_dir() / f"import-{job_id}-{kind}-{secrets.token_hex(8)}.xlsx"
    letters = [get_column_letter(i) for i in range(1, len(headers) + 3)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, body in _PARTS.items():
            zf.writestr(name, body.replace("{sheet}", SHEET_NAMES[kind]))
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(_SHEET_HEAD)
            fh.write(_row(1, letters, [*headers, ROW_HEADER, REASON_HEADER]))
            number = 1
            last_id = 0
            while True:  # in pages: a failed import of 100k rows must not load them all at once
                page = conn.execute(
                    select(issues.c.id, issues.c.row_number, issues.c["values"], issues.c.reason)
                    .where(*where, issues.c.id > last_id).order_by(issues.c.id).limit(5000)).all()
                if not page:
                    break
                last_id = page[-1][0]
                chunk = []
                for _id, row_number, raw, reason in page:
                    values = [("" if v is None else str(v)) for v in raw]
                    values += [""] * (len(headers) - len(values))
                    cut = [CUT_NOTE.format(header=h) for h, v in zip(headers, values, strict=False)
                           if len(v) > MAX_CELL]
                    number += 1
                    chunk.append(_row(number, letters, [*values, str(row_number), " ".join([reason, *cut])]))
                fh.write(b"".join(chunk))
            fh.write(_SHEET_TAIL)
    return str(path)


def _row(number: int, letters: list[str], values: list[str]) -> bytes:
    cells = "".join(
        f'<c r="{col}{number}" t="inlineStr" s="1"><is><t xml:space="preserve">{escape(safe_text(v)[0])}</t></is></c>'
        for col, v in zip(letters, values, strict=False) if v
    )
    return f'<row r="{number}">{cells}</row>'.encode()


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<cols><col min="1" max="60" width="18" style="1" customWidth="1"/></cols><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"
_NS = "http://schemas.openxmlformats.org"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{_NS}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{_NS}/officeDocument/2006/relationships">'
        '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_NS}/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (  # style 1: number format 49 ("@", Text)
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
