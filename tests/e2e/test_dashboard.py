"""The dashboard with the demo data: figures shown, a click on a channel bar opens the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_dashboard_loads_and_a_channel_bar_opens_the_filtered_list(app_page: AppPage) -> None:
    page = app_page.login("admin", landing="")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible(timeout=15_000)
    expect(page.locator("#card-conversion")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    app_page.screenshot("dashboard-desktop")
    page.locator(".recharts-bar-rectangle").first.click()
    expect(page).to_have_url(re.compile(r"/raw-leads/?\?.*input_source="))
    expect(page.locator("#range-label")).to_be_visible()
    expect(page.locator("#filters-button")).to_contain_text("2")


def test_dashboard_at_a_narrow_width(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    narrow = app_page_factory(viewport=(420, 900))
    page = narrow.login("thuhuong", landing="")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.locator("#card-failing")).to_have_count(0)  # channel events are an admin matter
    narrow.screenshot("dashboard-narrow")


def test_an_import_on_the_dashboard_opens_its_records_and_its_failed_rows(
        app_page: AppPage, running_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    for row in (["Họ", "Tên", "Di động"], ["Đặng", "Quyên Dashboard", "0905111222"],
                ["Đặng", "Khoa Dashboard", "0905333444"], ["Đặng", "Lỗi Dashboard", "12345"]):
        sheet.append(row)
    wb.save(tmp_path / "dashboard-import.xlsx")
    out = running_app.crm("import", str(tmp_path / "dashboard-import.xlsx"), "--user", "thuhuong", "--json").stdout
    assert '"created": 2' in out and '"failed": 1' in out

    page = app_page.login("admin", landing="")
    row = page.locator(".import-records", has_text="dashboard-import.xlsx")
    expect(row).to_be_visible(timeout=15_000)
    failed = page.get_by_role("link", name="Thất bại 1")
    expect(failed).to_have_attribute("href", re.compile(r"/api/import/jobs/\d+/failed$"))
    app_page.screenshot("dashboard-imports")
    row.click()
    expect(page).to_have_url(re.compile(r"/raw-leads/?\?import=\d+"))
    expect(page.locator("#import-filter")).to_contain_text("Tạo bởi import #")
    expect(page.get_by_text("Quyên Dashboard")).to_be_visible()
    expect(page.get_by_text("Khoa Dashboard")).to_be_visible()
    expect(page.locator("#range-label")).to_contain_text("1–2 / 2")
    app_page.screenshot("raw-leads-import-filter")
    page.get_by_role("button", name="Bỏ lọc theo import").click()
    expect(page.locator("#import-filter")).to_have_count(0)
