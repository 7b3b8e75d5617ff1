"""Bad input files: each gets a clear Vietnamese message and nothing is written (DESIGN §6)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ImportJob
from crm_app.services import importer
from crm_app.services.demo import ensure_demo_users
from tests.fixtures.importer import HEADERS, actor, data_dir, leads, options, write_csv, write_xlsx

__all__ = ["data_dir"]

GOOD_ROWS = [HEADERS, ["Nguyễn", "An", "0912345678", "an@example.com", ""]]


@pytest.fixture
def users_engine(sqlite_engine: Engine, data_dir: Path) -> Iterator[Engine]:
    with write_session(sqlite_engine) as session:
        ensure_demo_users(session=session)
    yield sqlite_engine


def _rewrite(path: Path, member: str, edit: Callable[[bytes], bytes]) -> Path:
    """Copy the zip, passing one member through `edit` (to craft files openpyxl won't write)."""
    out = path.with_name("edited-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, edit(data) if info.filename == member else data)
    return out


SHEET = "xl/worksheets/sheet1.xml"


def pdf(tmp: Path) -> Path:
    path = tmp / "bao-gia.xlsx"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return path


def xls_renamed(tmp: Path) -> Path:
    path = tmp / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    return path


def encrypted(tmp: Path) -> Path:
    # Excel stores a password-protected .xlsx inside an OLE2 compound file (EncryptedPackage).
    path = tmp / "mat-khau.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le"))
    return path


def truncated_zip(tmp: Path) -> Path:
    good = write_xlsx(tmp / "good.xlsx", GOOD_ROWS)
    path = tmp / "cut.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return path


def garbage_zip(tmp: Path) -> Path:
    path = tmp / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 20)
    return path


def zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.xlsx"
    good = write_xlsx(tmp / "good.xlsx", GOOD_ROWS)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != SHEET:
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open(SHEET, "w") as fh:
            fh.write(b"<worksheet><sheetData>")
            block = b" " * (1024 * 1024)
            for _ in range(64):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    assert path.stat().st_size < 1024 * 1024
    return path


def empty_first_row(tmp: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    for col, value in enumerate(HEADERS, start=1):
        ws.cell(row=2, column=col, value=value)
    ws.cell(row=3, column=2, value="An")
    path = tmp / "empty-first-row.xlsx"
    wb.save(path)
    return path


def header_only(tmp: Path) -> Path:
    return write_xlsx(tmp / "header-only.xlsx", [HEADERS])


def empty_sheet(tmp: Path) -> Path:
    path = tmp / "empty.xlsx"
    Workbook().save(path)
    return path


def merged(tmp: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in [HEADERS, ["Nguyễn", "An", "0912345678", "", ""], ["", "Bình", "0912345679", "", ""]]:
        ws.append(row)
    ws.merge_cells("A2:A3")
    path = tmp / "merged.xlsx"
    wb.save(path)
    return path


def far_cell(tmp: Path) -> Path:
    """The 1.6 KB file that made calamine try to allocate 512 GiB: cells at A1 and XFD1048576."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Tên"
    ws["XFD1048576"] = "x"
    path = tmp / "far.xlsx"
    wb.save(path)
    return path


def far_row_lying_dimension(tmp: Path) -> Path:
    good = write_xlsx(tmp / "good.xlsx", GOOD_ROWS)

    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:E2"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is>'
                                            b"</c></row></sheetData>")
    return _rewrite(good, SHEET, edit)


def doctype(tmp: Path) -> Path:
    good = write_xlsx(tmp / "good.xlsx", GOOD_ROWS)
    return _rewrite(good, SHEET, lambda xml: xml.replace(
        b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><worksheet', 1))


def csv_unknown_encoding(tmp: Path) -> Path:
    """Bytes no Windows code page defines (0x81 0x8D 0x8F 0x90 0x9D): not text in any encoding."""
    path = tmp / "rac.csv"
    path.write_bytes(b"Ho,Ten\n\x81\x8d\x8f\x90\x9d,\x9d\x90\x8f\n")
    return path


def duplicate_headers(tmp: Path) -> Path:
    return write_xlsx(tmp / "dup.xlsx", [["Tên", "Di động", "tên"], ["An", "0912345678", "x"]])


def blank_header(tmp: Path) -> Path:
    return write_xlsx(tmp / "blank.xlsx", [["Tên", None, "Di động"], ["An", "x", "0912345678"]])


BAD_FILES: list[tuple[Callable[[Path], Path], str, str]] = [
    (pdf, "import.file.not_spreadsheet", "không phải bảng tính"),
    (xls_renamed, "import.file.corrupt", "bị hỏng"),
    (encrypted, "import.file.encrypted", "mật khẩu"),
    (truncated_zip, "import.file.corrupt", "bị hỏng"),
    (garbage_zip, "import.file.corrupt", "bị hỏng"),
    (zip_bomb, "import.file.bomb", "giải nén"),
    (empty_first_row, "import.file.empty_header", "Dòng đầu tiên"),
    (empty_sheet, "import.file.empty_header", "Dòng đầu tiên"),
    (header_only, "import.file.no_rows", "không có dòng dữ liệu"),
    (merged, "import.file.merged", "A2:A3"),
    (far_cell, "import.file.too_many_columns", "quá nhiều cột"),
    (far_row_lying_dimension, "import.file.too_many_rows", "quá nhiều dòng"),
    (doctype, "import.file.corrupt", "bị hỏng"),
    (csv_unknown_encoding, "import.file.csv_encoding", "bảng mã"),
    (duplicate_headers, "import.file.duplicate_header", "Tên"),
    (blank_header, "import.file.blank_header", "cột thứ 2"),
]


@pytest.mark.parametrize(("make", "key", "words"), BAD_FILES, ids=[f[0].__name__ for f in BAD_FILES])
def test_bad_file_is_refused_with_a_clear_message_and_nothing_written(
        users_engine: Engine, tmp_path: Path, make: Callable[[Path], Path], key: str, words: str) -> None:
    path = make(tmp_path)
    with pytest.raises(UserError) as info:
        importer.inspect_file(path)
    assert info.value.key == key
    assert words in info.value.message()
    # The same file pushed straight to a job: the job fails with the message, no record is written.
    who = actor(users_engine)
    with write_session(users_engine) as session:
        job_id = importer.create_job(session, who, path, path.name,
                                     importer.ImportOptions(mapping={"Tên": "first_name"})).id
    with pytest.raises(UserError) as run_info:
        importer.run_job(users_engine, job_id)
    assert run_info.value.key == key
    assert leads(users_engine) == []
    with read_session(users_engine) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "failed" and words in (job.error or "")


def test_row_limit_from_settings(users_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "six.xlsx", [HEADERS] + [["Lê", f"Khách {i}", "", "", ""] for i in range(6)])
    with pytest.raises(UserError) as info:
        importer.inspect_file(path, row_limit=5)
    assert info.value.key == "import.file.too_many_rows" and "5" in info.value.message()
    assert importer.inspect_file(path, row_limit=6).total == 6
    csv_path = write_csv(tmp_path / "six.csv", [HEADERS] + [["Lê", f"Khách {i}", "", "", ""] for i in range(6)])
    with pytest.raises(UserError, match="tối đa 5 dòng"):
        importer.inspect_file(csv_path, row_limit=5)


@pytest.mark.parametrize("far", ["ZZ60000", "AZ150000"])
def test_a_sparse_sheet_over_the_cell_budget_is_refused_before_parsing(users_engine: Engine, tmp_path: Path,
                                                                       far: str) -> None:
    """The issue's 2 KB file: cells at A1 and ZZ60000 (42 million cells to calamine, 1.4 GB while
    parsing). Refused from the references alone; the parse child never starts."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Tên"
    ws[far] = "x"
    path = tmp_path / "sparse.xlsx"
    wb.save(path)
    assert path.stat().st_size < 10_000
    with pytest.raises(UserError) as info:
        importer.inspect_file(path)
    assert info.value.key == "import.file.too_many_cells"
    assert "dòng × " in info.value.message()


def test_parse_child_memory_cap_stays_under_one_gigabyte() -> None:
    from crm_app.services.importer import reader

    assert reader.CHILD_MEMORY <= 1024 * 1024 * 1024


def test_formulas_import_their_cached_values(users_engine: Engine, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "f.xlsx", [["Họ", "Tên", "Di động"], ["Trần", "=\"Bì\"&\"nh\"", "0912345678"]])
    cached = "Bình".encode()
    path = _rewrite(good, SHEET, lambda xml: re.sub(
        rb'<c r="B2"><f>(.*?)</f><v ?/></c>',
        lambda m: b'<c r="B2" t="str"><f>' + m[1] + b"</f><v>" + cached + b"</v></c>", xml))
    assert b"<f>" in zipfile.ZipFile(path).read(SHEET)
    who = actor(users_engine)
    result = _run(users_engine, path, who)
    assert (result.created, result.failed) == (1, 0)
    assert [r.first_name for r in leads(users_engine)] == ["Bình"]


def test_hidden_first_sheet_is_passed_over_for_the_first_visible_one(users_engine: Engine, tmp_path: Path) -> None:
    wb = Workbook()
    hidden = wb.active
    hidden.title = "Nháp"
    hidden.append(["Ghi chú"])
    hidden.append(["không phải dữ liệu"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("Dữ liệu")
    for row in GOOD_ROWS:
        ws.append(row)
    path = tmp_path / "hidden-first.xlsx"
    wb.save(path)
    info = importer.inspect_file(path)
    assert info.headers == HEADERS and info.total == 1
    assert _run(users_engine, path, actor(users_engine)).created == 1
    assert [r.first_name for r in leads(users_engine)] == ["An"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_utf8_with_or_without_bom(users_engine: Engine, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "khach.csv", [HEADERS, ["Nguyễn", "Ánh", "0912 345 678", "", "dung.vu"]],
                     encoding=encoding)
    info = importer.inspect_file(path)
    assert info.headers == HEADERS  # no BOM glued to "Họ"
    assert info.preview["Tên"] == ["Ánh"]
    assert _run(users_engine, path, actor(users_engine)).created == 1
    (lead,) = leads(users_engine)
    assert (lead.first_name, lead.mobile) == ("Ánh", "+84912345678")


def test_semicolon_csv_as_saved_by_a_vietnamese_excel(users_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("Họ;Tên;Di động\nLê;Cường;0987654321\n", encoding="utf-8")
    assert importer.inspect_file(path).headers == ["Họ", "Tên", "Di động"]


def test_inspect_file_previews_five_rows(tmp_path: Path) -> None:
    rows = [HEADERS] + [["Lê", f"Khách {i}", f"091234567{i}", "", ""] for i in range(7)]
    info = importer.inspect_file(write_xlsx(tmp_path / "p.xlsx", rows))
    assert info.total == 7
    assert info.preview["Tên"] == ["Khách 0", "Khách 1", "Khách 2", "Khách 3", "Khách 4"]


def _run(engine: Engine, path: Path, who: importer.Actor) -> importer.ImportResult:  # type: ignore[name-defined]
    from tests.fixtures.importer import run_import

    return run_import(engine, path, who, options(engine, importer.inspect_file(path).headers))
