"""A sheet whose rows × columns exceed the cell budget is refused before any parser runs, for .xls
(BIFF8) and .ods as for .xlsx, and a CSV with an absurd column count: a clear Vietnamese message,
a quick answer, and no parse child growing towards its memory cap."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from crm_app.i18n import UserError, t
from crm_app.services import importer
from crm_app.services.importer.preflight import CELL_BUDGET
from tests.fixtures.importer import HEADERS, write_ods, write_xls

ROWS = [HEADERS, ["Lê", "Khách", "0912345678", "", ""]]


def _refused(path: Path) -> UserError:
    started = time.monotonic()
    with pytest.raises(UserError) as info:
        importer.inspect_file(path, row_limit=100_000)
    assert time.monotonic() - started < 5
    # No child came near the memory cap: the file never reached the parser.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 300 * 1024
    return info.value


def _stray_cell_xls(path: Path) -> Path:
    """A small .xls with the data at the top and one stray cell at IV60000 (as a stray keystroke)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Khách")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    ws.write(59_999, 255, "x")
    wb.save(str(path))
    return path


def test_xls_with_a_stray_far_cell_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _stray_cell_xls(tmp_path / "stray.xls")
    assert path.stat().st_size < 20_000
    error = _refused(path)
    assert error.key == "import.file.too_many_cells"
    message = t(error.key, **error.params)
    assert "60000 dòng × 256 cột" in message
    assert f"tối đa {CELL_BUDGET}" in message
    assert "xoá các ô thừa" in message


def test_xls_understating_its_dimensions_is_still_measured(tmp_path: Path) -> None:
    """The DIMENSIONS record says A1:E2; the cell record at IV60000 is what the parser follows."""
    path = _stray_cell_xls(tmp_path / "lying.xls")
    data = bytearray(path.read_bytes())
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes
    assert at > 0
    data[at + 4:at + 16] = (0).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\x00\x00\x05\x00"
    path.write_bytes(bytes(data))
    assert _refused(path).key == "import.file.too_many_cells"


def test_ods_with_a_far_cell_behind_repeated_rows_is_refused(tmp_path: Path) -> None:
    """A1 and ZZ60000 in a 2 KB .ods: repeated empty rows and cells cost nothing on disk, and
    the parser would hold all 42 million cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Khách")
    header = TableRow()
    for h in HEADERS:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=h))
        header.addElement(cell)
    table.addElement(header)
    gap = TableRow(numberrowsrepeated=59_998)
    gap.addElement(TableCell())
    table.addElement(gap)
    far = TableRow()
    far.addElement(TableCell(numbercolumnsrepeated=701))
    cell = TableCell(valuetype="string")
    cell.addElement(P(text="x"))
    far.addElement(cell)
    table.addElement(far)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "far.ods"
    doc.save(str(path))
    assert path.stat().st_size < 10_000
    error = _refused(path)
    assert error.key == "import.file.too_many_cells"
    assert "60000 dòng × 702 cột" in t(error.key, **error.params)


def test_ods_with_librecalc_trailing_empty_rows_still_imports(tmp_path: Path) -> None:
    """LibreOffice ends a sheet with a million repeated empty rows of 1024 empty cells: not data."""
    from odf.table import TableCell, TableRow

    path = write_ods(tmp_path / "calc.ods", {"Khách": ROWS})
    from odf.opendocument import load

    doc = load(str(path))
    table = doc.spreadsheet.childNodes[-1]
    tail = TableRow(numberrowsrepeated=1_048_574)
    tail.addElement(TableCell(numbercolumnsrepeated=1024))
    table.addElement(tail)
    doc.save(str(path))
    parsed = importer.inspect_file(path, row_limit=100)
    assert parsed.total == 1


def test_small_xls_and_ods_pass_the_budget(tmp_path: Path) -> None:
    assert importer.inspect_file(write_xls(tmp_path / "ok.xls", {"Khách": ROWS}), row_limit=10).total == 1
    assert importer.inspect_file(write_ods(tmp_path / "ok.ods", {"Khách": ROWS}), row_limit=10).total == 1


def test_a_far_stray_cell_on_another_sheet_counts_too(tmp_path: Path) -> None:
    """The parser holds every sheet of an .xls when it opens it, so a draft sheet with a stray
    cell at IV60000 refuses the file even when the small sheet is the one chosen."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    small = wb.add_sheet("Khách")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            small.write(r, c, value)
    big = wb.add_sheet("Nháp")
    big.write(0, 0, "a")
    big.write(59_999, 255, "x")
    path = tmp_path / "two.xls"
    wb.save(str(path))
    with pytest.raises(UserError) as info:
        importer.inspect_file(path, row_limit=10, sheet="Khách")
    assert info.value.key == "import.file.too_many_cells"
    assert "60000 dòng × 256 cột" in info.value.message()


@pytest.mark.parametrize("where", ["header", "row"])
def test_csv_with_an_absurd_column_count_is_refused(tmp_path: Path, where: str) -> None:
    path = tmp_path / "wide.csv"
    wide = ",".join(["x"] * 100_000)
    if where == "header":
        path.write_text(wide + "\nLê\n", encoding="utf-8")
    else:
        path.write_text(",".join(HEADERS) + "\nLê,Khách,0912345678,,\n" + wide + "\n", encoding="utf-8")
    error = _refused(path)
    assert error.key == "import.file.too_many_columns"
    assert t(error.key, **error.params) == "File có quá nhiều cột (tối đa 702 cột)."
