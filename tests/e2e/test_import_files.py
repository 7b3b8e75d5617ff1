"""The wizard with the files a sales team really has: a two-sheet workbook with one "Họ và tên"
column and "SĐT"-style headers (the sheet choice, the preview of the first 5 rows under each
column, warnings counted and downloadable), and a Windows-1258 CSV named in the review step."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from tests.apprunner import RunningApp
from tests.e2e.test_import_wizard import query
from tests.fixtures.importer import cp1258

pytestmark = pytest.mark.e2e

HEADERS = ["Họ và tên", "SĐT", "Ngày sinh", "Nguồn KH", "Ghi chú"]
ROWS = [["Nguyễn Thị Minh Khai", "0915550001", "1990", "Website", "chỉ có năm sinh"],
        ["Trần Đức", "0915550002", "02/03/1985", "Tiktok ads", "nguồn lạ"],
        ["Lê Hoàng Phúc", 915550003, "", "Zalo", "mất số 0"],
        ["Phạm Dung", "0915550004", "", "Website", ""],
        ["Võ Văn Năm", "0915550005", "", "Website", ""],
        ["Đặng Sáu", "0915550006", "", "Website", "dòng thứ 6: không xem trước"]]


def two_sheets(tmp_path: Path) -> Path:
    wb = Workbook()
    guide = wb.active
    guide.title = "Hướng dẫn"
    guide.append(["Danh sách ở trang «Khách T5»"])
    guide.append(["—"])
    ws = wb.create_sheet("Khách T5")
    ws.append(HEADERS)
    for row in ROWS:
        ws.append(row)
    path = tmp_path / "danh-sach-mua.xlsx"
    wb.save(path)
    return path


def to_mapping(page: Page, path: Path) -> None:
    page.goto(page.url.split("/raw-leads")[0] + "/raw-leads/import")
    page.locator("#import-file input[type=file]").set_input_files(str(path))


def test_two_sheet_full_name_file_with_preview_and_warnings(app_page_factory, running_app: RunningApp,
                                                             tmp_path: Path) -> None:
    path = two_sheets(tmp_path)
    wide = app_page_factory()
    page = wide.login("thuhuong")
    to_mapping(page, path)
    expect(page.locator("#sheet-choice")).to_contain_text("Khách T5")
    wide.screenshot("wizard-sheet-1366")
    page.locator("#sheet-choice").get_by_text("Khách T5").click()
    expect(page.locator("#skip-dedup")).to_be_visible()
    page.locator("#dedup-next").click()  # Di động, skip duplicates
    sample = page.locator("#mapping-sample")
    expect(sample).to_contain_text("Nguyễn Thị Minh Khai")
    expect(sample).to_contain_text("Võ Văn Năm")  # 5 rows
    expect(sample).not_to_contain_text("Đặng Sáu")  # not the 6th
    expect(sample).to_contain_text("Họ và tên (tách thành Họ + Tên)")  # the field under the column
    expect(sample).to_contain_text("Di động")
    wide.screenshot("wizard-mapping-preview-1366")
    page.locator("#mapping-next").click()
    expect(page.locator("#dry-warned")).to_have_text("3", timeout=20_000)
    expect(page.locator("#review-sheet")).to_have_text("Khách T5")
    page.locator("#start-import").click()
    expect(page.locator("#finish")).to_be_visible(timeout=60_000)
    assert page.locator("#res-created").inner_text() == "6"
    assert page.locator("#res-warned").inner_text() == "3"
    expect(page.locator("#warning-file")).to_be_visible()
    wide.screenshot("wizard-result-warnings-1366")
    rows = query(running_app, "select last_name, first_name, mobile, birthday from raw_leads "
                              "where mobile like '+8491555000%' order by mobile")
    assert rows[0][:3] == ("Nguyễn Thị Minh", "Khai", "+84915550001") and rows[0][3] is None
    assert rows[2][:3] == ("Lê Hoàng", "Phúc", "+84915550003")

    job_id = query(running_app, "select max(id) from import_jobs")[0][0]
    got = httpx.get(f"{running_app.base_url}/api/import/jobs/{job_id}/warning",
                    cookies={c["name"]: c["value"] for c in wide.context.cookies()}, timeout=20)
    assert got.status_code == 200
    (tmp_path / "warnings.xlsx").write_bytes(got.content)
    lines = list(load_workbook(tmp_path / "warnings.xlsx").active.iter_rows(values_only=True))
    assert [(r[0], r[-2]) for r in lines[1:]] == [("Nguyễn Thị Minh Khai", "2"), ("Trần Đức", "3"),
                                                  ("Lê Hoàng Phúc", "4")]
    assert "Tiktok ads" in lines[2][-1] and "915550003 → 0915550003" in lines[3][-1]
    page.locator("#finish").click()

    # The record's timeline names the import and links to its result.
    (record_id,) = query(running_app, "select id from raw_leads where mobile = '+84915550002'")[0]
    wide.goto(f"/raw-leads/{record_id}")
    link = page.locator("#timeline .timeline-import")
    expect(link).to_have_text(f"Import #{job_id}")
    link.click()
    expect(page.locator("#result-created")).to_have_text("6")
    expect(page.locator("#result-warned")).to_have_text("3")
    expect(page.locator("#result-warning-file")).to_be_visible()
    wide.screenshot("import-result-page-1366")
    phone = app_page_factory(viewport=(390, 844))
    phone.login("dung.vu", landing=f"/imports/{job_id}")
    expect(phone.page.locator("#result-created")).to_have_text("6")
    expect(phone.page.locator("#result-warning-file")).to_have_count(0)  # not their import: counts only
    phone.screenshot("import-result-page-390")


def test_mapping_preview_and_cp1258_csv_on_a_phone(app_page_factory, tmp_path: Path) -> None:
    path = tmp_path / "khach-ansi.csv"
    text = "\r\n".join(";".join(str(v) for v in r) for r in [HEADERS, *ROWS[:3]]) + "\r\n"
    path.write_bytes(cp1258(text))
    for width in (390, 1366):
        app = app_page_factory(viewport=(width, 844 if width < 400 else 860))
        page = app.login("dung.vu")
        to_mapping(page, path)
        page.locator("#skip-dedup").click()
        expect(page.locator("#mapping-sample")).to_contain_text("Nguyễn Thị Minh Khai")  # composed again
        app.screenshot(f"wizard-mapping-csv-{width}")
        page.locator("#mapping-next").click()
        expect(page.locator("#review-encoding")).to_have_text("Windows-1258")
        expect(page.locator("#review-delimiter")).to_have_text(";")
        expect(page.locator("#dry-created")).to_have_text("3", timeout=20_000)
        app.screenshot(f"wizard-review-csv-{width}")
