"""The files a Vietnamese sales team really has: .xls and .ods workbooks, CSVs saved by Vietnamese
or Western Windows, Excel's "Unicode text", semicolon and tab separators, several sheets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.services import importer
from crm_app.services.demo import ensure_demo_users
from tests.fixtures.importer import (
    HEADERS,
    actor,
    cp1258,
    data_dir,
    leads,
    options,
    run_import,
    write_ods,
    write_xls,
)

__all__ = ["data_dir"]

ROWS = [["Họ", "Tên", "Di động", "Tỉnh/Thành phố"],
        ["Nguyễn Thị", "Minh Khai", "0912345678", "Hà Nội"],
        ["Trần Văn", "Đức", "0987654321", "Đà Nẵng"],
        ["Lê", "Ưng Hoàng Phúc", "0901234567", "Thừa Thiên Huế"]]


@pytest.fixture
def engine(sqlite_engine: Engine, data_dir: Path) -> Iterator[Engine]:
    with write_session(sqlite_engine) as session:
        ensure_demo_users(session=session)
    yield sqlite_engine


def _import(engine: Engine, path: Path, **kwargs: object) -> importer.ImportResult:
    sheet = kwargs.pop("sheet", None)
    headers = importer.inspect_file(path, sheet=sheet).headers  # type: ignore[arg-type]
    opts = options(engine, headers, **kwargs)
    opts.sheet = sheet  # type: ignore[assignment]
    return run_import(engine, path, actor(engine), opts)


def _names(engine: Engine) -> list[tuple[str | None, str, str | None]]:
    return [(r.last_name, r.first_name, r.mobile) for r in leads(engine)]


EXPECTED = [("Nguyễn Thị", "Minh Khai", "+84912345678"), ("Trần Văn", "Đức", "+84987654321"),
            ("Lê", "Ưng Hoàng Phúc", "+84901234567")]


def test_xls_workbook_imports_like_xlsx(engine: Engine, tmp_path: Path) -> None:
    path = write_xls(tmp_path / "danh-sach.xls", {"Khách": ROWS})
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # a real OLE2 file, as Excel 97-2003 saves it
    info = importer.inspect_file(path)
    assert (info.kind, info.headers, info.total) == ("xls", ROWS[0], 3)
    assert info.preview["Tên"] == ["Minh Khai", "Đức", "Ưng Hoàng Phúc"]
    result = _import(engine, path)
    assert (result.created, result.failed) == (3, 0)
    assert _names(engine) == EXPECTED


def test_ods_workbook_imports_like_xlsx(engine: Engine, tmp_path: Path) -> None:
    path = write_ods(tmp_path / "danh-sach.ods", {"Khách": ROWS})
    info = importer.inspect_file(path)
    assert (info.kind, info.headers, info.total) == ("ods", ROWS[0], 3)
    assert _import(engine, path).created == 3
    assert _names(engine) == EXPECTED


@pytest.mark.parametrize("writer", [write_xls, write_ods])
def test_xls_and_ods_obey_the_row_limit(tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADERS] + [["Lê", f"Khách {i}", "", "", ""] for i in range(6)]
    path = writer(tmp_path / ("six.xls" if writer is write_xls else "six.ods"), {"A": rows})
    with pytest.raises(UserError) as info:
        importer.inspect_file(path, row_limit=5)
    assert info.value.key == "import.file.too_many_rows"
    assert importer.inspect_file(path, row_limit=6).total == 6


def test_cp1258_csv_with_semicolons_is_detected_and_named(engine: Engine, tmp_path: Path) -> None:
    """A CSV saved by Excel on a Vietnamese Windows: Windows-1258 (tones as combining marks), ';'."""
    path = tmp_path / "khach-ansi.csv"
    path.write_bytes(cp1258("\r\n".join(";".join(r) for r in ROWS) + "\r\n"))
    path.read_bytes().decode("cp1258")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    info = importer.inspect_file(path)
    assert (info.kind, info.encoding, info.delimiter) == ("csv", "Windows-1258", ";")
    assert info.headers == ROWS[0]  # composed again: "Tỉnh" is one letter ỉ, not i + hook
    assert info.preview["Tên"] == ["Minh Khai", "Đức", "Ưng Hoàng Phúc"]
    assert _import(engine, path).created == 3
    assert _names(engine) == EXPECTED


def test_cp1252_csv_is_detected_and_named(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "western.csv"
    path.write_bytes("Ho,Tên,Di dông\nDupont,Jérôme,0912345678\nMüller,Zoë,0912345679\n".encode("cp1252"))
    info = importer.inspect_file(path)
    assert (info.encoding, info.delimiter) == ("Windows-1252", ",")
    assert info.preview["Tên"] == ["Jérôme", "Zoë"]


def test_utf16_tab_separated_unicode_text_from_excel(engine: Engine, tmp_path: Path) -> None:
    """Excel's "Unicode text" (.txt): UTF-16 little endian with a BOM, tab-separated."""
    path = tmp_path / "unicode.txt"
    path.write_bytes("\r\n".join("\t".join(r) for r in ROWS).encode("utf-16"))
    info = importer.inspect_file(path)
    assert (info.kind, info.encoding, info.delimiter) == ("csv", "UTF-16 (Unicode)", "Tab")
    assert info.headers == ROWS[0]
    assert _import(engine, path).created == 3
    assert _names(engine) == EXPECTED


@pytest.mark.parametrize("hint", ["sep=;", '"sep=;"', "SEP=;"])
def test_excel_separator_hint_on_the_first_line(engine: Engine, tmp_path: Path, hint: str) -> None:
    """Exporters write "sep=;" alone on the first line so that Excel splits the file: the header is
    the second line, and failed rows name the file's own line numbers."""
    path = tmp_path / "xuat-tu-phan-mem.csv"
    rows = [*ROWS, ["Phạm", "Sai Số", "0912", "Huế"]]
    path.write_bytes((hint + "\r\n" + "\r\n".join(";".join(r) for r in rows) + "\r\n").encode("utf-8-sig"))
    info = importer.inspect_file(path)
    assert (info.delimiter, info.headers, info.total) == (";", ROWS[0], 4)
    assert info.preview["Tên"][:3] == ["Minh Khai", "Đức", "Ưng Hoàng Phúc"]
    result = _import(engine, path)
    assert (result.created, result.failed) == (3, 1)
    assert result.reasons == ["Dòng 6: «Di động» không phải số điện thoại hợp lệ: 0912"]
    assert _names(engine) == EXPECTED


# Bodies as reported to other CSV readers that took the hint line for the header: PowerShell
# issue #7776 (`sep=,`), close2/csv issue #68 (quoted, with a trailing separator on every line)
# and vscode_rainbow_csv issue #108 (`sep=|`).
@pytest.mark.parametrize(("body", "delimiter", "headers", "total"), [
    ("sep=,\na,b,c\n1,2,3\n", ",", ["a", "b", "c"], 1),
    ('"sep=;"\na;b;\n1;2;\n3;4;\n', ";", ["a", "b"], 2),
    ("sep=|\nOne|Two|Three|Four\n1|2|3|4\n5|6|7|8\n", "|", ["One", "Two", "Three", "Four"], 2),
])
def test_separator_hint_bodies_reported_elsewhere(tmp_path: Path, body: str, delimiter: str, headers: list[str],
                                                  total: int) -> None:
    path = tmp_path / "hint.csv"
    path.write_text(body, encoding="utf-8")
    info = importer.inspect_file(path)
    assert (info.delimiter, info.headers, info.total) == (delimiter, headers, total)


@pytest.mark.parametrize(("encoding", "delimiter", "shown"), [("utf-8", ",", ","), ("utf-8-sig", ";", ";"),
                                                              ("utf-8", "\t", "Tab"), ("utf-16", ",", ",")])
def test_separator_and_encoding_detected(tmp_path: Path, encoding: str, delimiter: str, shown: str) -> None:
    # Commas inside the address must not fool the detection of ';' and tab.
    rows = [["Họ", "Tên", "Địa chỉ"], ["Lê", "Cường", "12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"],
            ["Phạm", "Dung", "5, ngõ 3"]]
    path = tmp_path / "sep.csv"
    text = "\n".join(delimiter.join(f'"{v}"' if delimiter in v else v for v in r) for r in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    info = importer.inspect_file(path)
    assert info.delimiter == shown
    assert info.encoding == ("UTF-16 (Unicode)" if encoding == "utf-16" else "UTF-8")
    assert info.headers == rows[0]
    assert info.preview["Địa chỉ"] == [rows[1][2], rows[2][2]]


def _two_sheets(path: Path) -> Path:
    wb = Workbook()
    first = wb.active
    first.title = "Hướng dẫn"
    first.append(["Ghi chú"])
    first.append(["Danh sách ở trang sau"])
    second = wb.create_sheet("Khách T5")
    for row in ROWS:
        second.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_workbook_with_several_sheets_lists_them_and_imports_the_chosen_one(
        engine: Engine, tmp_path: Path, fmt: str) -> None:
    sheets = {"Hướng dẫn": [["Ghi chú"], ["Danh sách ở trang sau"]], "Khách T5": ROWS}
    path = {"xlsx": lambda: _two_sheets(tmp_path / "hai.xlsx"),
            "xls": lambda: write_xls(tmp_path / "hai.xls", sheets),
            "ods": lambda: write_ods(tmp_path / "hai.ods", sheets)}[fmt]()
    info = importer.inspect_file(path)
    assert info.sheets == ("Hướng dẫn", "Khách T5") and info.sheet == "Hướng dẫn"
    chosen = importer.inspect_file(path, sheet="Khách T5")
    assert (chosen.sheet, chosen.headers, chosen.total) == ("Khách T5", ROWS[0], 3)
    result = _import(engine, path, sheet="Khách T5")
    assert (result.created, result.failed) == (3, 0)
    assert _names(engine) == EXPECTED
    with pytest.raises(UserError) as missing:
        importer.inspect_file(path, sheet="Không có")
    assert missing.value.key == "import.file.sheet_not_found" and "Không có" in missing.value.message()


PURCHASED = [["STT", "Họ và tên", "SĐT", "Tỉnh thành", "Ghi chú", "Nguồn KH", "Người phụ trách"],
             [1, "Nguyễn Thị Minh Khai", "0912345678", "Hà Nội", "mua danh sách", "Website", "thuhuong"],
             [2, "  Trần   Đức ", "0987654321", "Đà Nẵng", "", "Zalo", ""],
             [3, "Hùng", "0901234567", "", "", "", ""],
             [4, "", "0901234568", "", "tên trống", "", ""]]


def test_purchased_xls_with_full_name_and_synonym_headers(engine: Engine, tmp_path: Path) -> None:
    """The issue's file: one "Họ và tên" column and "SĐT"-style headers, as .xls."""
    path = write_xls(tmp_path / "danh-sach-mua.xls", {"Sheet1": PURCHASED})
    headers = importer.inspect_file(path).headers
    with read_session(engine) as session:
        mapping = importer.auto_mapping(session, headers)
    assert mapping == {"Họ và tên": "full_name", "SĐT": "mobile", "Tỉnh thành": "province",
                       "Ghi chú": "description", "Nguồn KH": "lead_source", "Người phụ trách": "assigned_to"}
    result = run_import(engine, path, actor(engine), importer.ImportOptions(
        mapping=mapping, dedup_fields=["mobile"], on_duplicate="skip"))
    assert (result.created, result.failed) == (3, 1)
    assert "Họ và tên" in result.reasons[0] and "Dòng 5" in result.reasons[0]
    got = [(r.last_name, r.first_name, r.mobile, r.province, r.description) for r in leads(engine)]
    assert got == [("Nguyễn Thị Minh", "Khai", "+84912345678", "Hà Nội", "mua danh sách"),
                   ("Trần", "Đức", "+84987654321", "Đà Nẵng", None),
                   (None, "Hùng", "+84901234567", None, None)]


def test_full_name_is_one_choice_excluding_ho_and_ten(engine: Engine, tmp_path: Path) -> None:
    with read_session(engine) as session:
        # Exact labels (Vietnamese or English) win; a full name column is then not mapped over Họ/Tên.
        assert importer.auto_mapping(session, ["Họ và tên", "Họ", "Tên", "Số ĐT", "Mobile"]) == {
            "Họ": "last_name", "Tên": "first_name", "Mobile": "mobile"}
        assert importer.auto_mapping(session, ["Full name", "Điện thoại di động", "Thành phố"]) == {
            "Full name": "full_name", "Điện thoại di động": "mobile", "Thành phố": "province"}
    path = write_xls(tmp_path / "x.xls", {"A": [["Họ và tên", "Tên"], ["Lê Văn Tám", "Tám"]]})
    with pytest.raises(UserError) as info:
        run_import(engine, path, actor(engine),
                   importer.ImportOptions(mapping={"Họ và tên": "full_name", "Tên": "first_name"}))
    assert info.value.key == "import.options.full_name_and_parts" and "Tên" in info.value.message()
    # Dedup on Tên works when the full name provides it.
    result = run_import(engine, path, actor(engine), importer.ImportOptions(
        mapping={"Họ và tên": "full_name"}, dedup_fields=["first_name"], on_duplicate="skip"))
    assert result.created == 1 and [(r.last_name, r.first_name) for r in leads(engine)] == [("Lê Văn", "Tám")]
