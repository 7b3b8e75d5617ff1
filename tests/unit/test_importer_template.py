"""The template, the column mapping and the result files."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy.engine import Engine

from crm_app.db import read_session, write_session
from crm_app.fields import UNKNOWN
from crm_app.models import CustomField, PicklistValue
from crm_app.services import importer
from crm_app.services.importer.results import MAX_CELL, safe_text
from tests.fixtures.importer import actor, data_dir, leads, quick_import, write_csv, write_xlsx

__all__ = ["data_dir"]


def test_template_follows_the_live_field_registry(sqlite_engine: Engine) -> None:
    with write_session(sqlite_engine) as session:
        session.add(CustomField(key="nganh", label_vi="Ngành nghề", label_en="Industry", field_type="text",
                                required=True))
        session.add(PicklistValue(field_key="lead_source", value="TikTok", position=99))
    with read_session(sqlite_engine) as session:
        wb = load_workbook(io.BytesIO(importer.build_template(session)))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["Danh xưng", "Họ", "Tên"] and headers[-1] == "Ngành nghề"
    assert "Giao cho" in headers and "Đồng bộ Zalo" not in headers and "Nguồn input" not in headers
    red = {c.value for c in ws[1] if c.font.color is not None and c.font.color.rgb == "FFFF0000"}
    assert red == {"Tên", "Giao cho", "Ngành nghề"}
    assert all(ws.cell(row=r, column=c).number_format == "@" for r in (1, 2, 50) for c in range(1, len(headers) + 1))
    lists = wb["Danh sách"]
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    col = headers.index("Nguồn") + 1
    letter = ws.cell(row=1, column=col).column_letter
    formula = validations[f"{letter}2"]
    src_col = formula.split("!$")[1].split("$")[0]
    values = [c.value for c in lists[src_col] if c.value]
    assert "TikTok" in values and values[-1] == UNKNOWN
    guide = "\n".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    assert "dd-mm-yyyy" in guide and "tên truy cập" in guide and "màu đỏ" in guide


def test_a_filled_template_imports(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                   tmp_path: Path) -> None:
    with read_session(engine) as session:
        data = importer.build_template(session)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    row = {"Tên": "Hạnh", "Di động": "0912345678", "Nguồn": "Zalo", "Giao cho": "phu.vo", "Ngày sinh": "01-12-1990"}
    for col, header in enumerate(headers, start=1):
        ws.cell(row=2, column=col, value=row.get(header))
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    assert quick_import(engine, path).created == 1
    (lead,) = leads(engine)
    assert (lead.first_name, lead.lead_source, lead.assigned_to_id) == ("Hạnh", "Zalo", demo_users["phu.vo"])


def test_auto_mapping_ignores_case_accents_and_spaces(sqlite_engine: Engine) -> None:
    with read_session(sqlite_engine) as session:
        mapping = importer.auto_mapping(session, ["  ten ", "DI DONG", "Mobile", "email", "Last name", "Số nhà",
                                                  "Mã KH"])
    # "Mobile" loses to the earlier "DI DONG"; "Số nhà" is a synonym of Địa chỉ; "Mã KH" means nothing.
    assert mapping == {"  ten ": "first_name", "DI DONG": "mobile", "email": "email", "Last name": "last_name",
                       "Số nhà": "street"}


def test_saved_mapping_is_reused(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    who = actor(engine)
    with write_session(engine) as session:
        importer.save_mapping(session, who, "Danh sách hội thảo", {"Khách": "first_name", "SĐT": "mobile"})
    with read_session(engine) as session:
        assert [m.name for m in importer.list_mappings(session)] == ["Danh sách hội thảo"]
        mapping = importer.load_mapping(session, "Danh sách hội thảo")
    path = write_xlsx(tmp_path / "h.xlsx", [["Khách", "SĐT"], ["Lan", "0987654321"]])
    from tests.fixtures.importer import run_import

    assert run_import(engine, path, who, importer.ImportOptions(mapping=mapping)).created == 1
    assert leads(engine)[0].mobile == "+84987654321"


def test_cell_escaping() -> None:
    for dangerous in ("=HYPERLINK(\"http://x\")", "+84912", "-1", "@SUM(1)", "\tx", "\rx", "\nx"):
        text, cut = safe_text(dangerous)
        assert text == " " + dangerous and not cut
    assert safe_text("a\x00b\x1fc") == ("a b c", False)
    text, cut = safe_text("x" * (MAX_CELL + 10))
    assert len(text) == MAX_CELL and cut


def test_failed_file_is_safe_and_reimportable_as_it_is(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                       tmp_path: Path) -> None:
    long_text = "y" * (MAX_CELL + 5)
    # CSV: openpyxl could not even write the control character and the over-long cell.
    path = write_csv(tmp_path / "f.csv", [
        ["Họ", "Tên", "Di động", "Mô tả"],
        ["=1+1", "", "+84 912 345 678", "ghi\x01chú"],
        ["@Lê", "", "0987654321", long_text],
    ])
    result = quick_import(engine, path)
    assert (result.created, result.failed) == (0, 2) and result.failed_file
    assert Path(result.failed_file).parent == data_dir / "private" / "imports" / "results"
    ws = load_workbook(result.failed_file).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Họ", "Tên", "Di động", "Mô tả", "Dòng trong file gốc", "Lý do")
    assert all(cell.data_type == "s" for row in ws.iter_rows() for cell in row if cell.value is not None)
    assert rows[1][0] == " =1+1" and rows[1][2] == " +84 912 345 678" and rows[1][3] == "ghi chú"
    assert rows[1][4] == "2" and rows[1][5] == "Thiếu thông tin bắt buộc «Tên»"
    assert len(rows[2][3]) == MAX_CELL and "32.767" in rows[2][5]
    assert CalamineWorkbook.from_path(result.failed_file).get_sheet_by_index(0).to_python()[1][0] == " =1+1"
    # The user fills in the missing names in the file they downloaded and imports it as it is.
    wb = load_workbook(result.failed_file)
    wb.active["B2"] = "Minh"
    wb.active["B3"] = "Lê"
    wb.active["D3"] = "ngắn"
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    again = quick_import(engine, fixed)
    assert (again.created, again.failed) == (2, 0)
    assert [(r.last_name, r.first_name, r.mobile) for r in leads(engine)] == [
        ("=1+1", "Minh", "+84912345678"), ("@Lê", "Lê", "+84987654321")]
