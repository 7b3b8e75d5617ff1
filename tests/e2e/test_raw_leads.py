"""The salesperson's daily screen, in Chromium: create (with a validation error first), search
without accents, saved filter, columns, bulk-assign, convert to Lead."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def db_scalar(app: RunningApp, sql: str, **params: object) -> object:
    engine = create_engine(app.database_url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def pick(page: Page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_create_search_and_convert(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("thuhuong")
    page.locator("#add-raw-lead").click()
    expect(page.get_by_role("heading", name="Thêm KH thô")).to_be_visible()
    page.locator("#f-mobile").fill("12345")
    page.locator("#save").click()
    expect(page.locator("#form-error")).to_contain_text("Vui lòng sửa các trường được đánh dấu.")
    expect(page.get_by_text("«Tên» là bắt buộc.")).to_be_visible()
    expect(page.get_by_text("«Di động» không phải số điện thoại Việt Nam hợp lệ.")).to_be_visible()
    app_page.screenshot("raw-lead-form-errors")

    page.locator("#f-last_name").fill("Phạm Thị")
    page.locator("#f-first_name").fill("Ánh Tuyết")
    page.locator("#f-mobile").fill("0912 000 111")
    page.locator("#f-email").fill("anh.tuyet@example.vn")
    page.locator("#f-company").fill("Công ty Ánh Dương")
    page.locator("#save").click()
    expect(page.locator("#detail-title")).to_have_text("Phạm Thị Ánh Tuyết")
    expect(page.get_by_text("0912000111")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Nguyễn Thu Hường tạo")
    app_page.screenshot("raw-lead-detail")
    record_id = int(re.search(r"/raw-leads/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert db_scalar(running_app, "select mobile from raw_leads where id = :i", i=record_id) == "+84912000111"

    page.get_by_role("link", name="Danh sách KH thô").click()
    page.locator("#search").fill("pham thi anh")
    expect(page.locator("#range-label")).to_have_text("1–1 / 1")
    expect(page.get_by_role("link", name="Phạm Thị")).to_be_visible()
    page.locator("#search").fill("+84 912 000 111")
    expect(page.locator("#range-label")).to_have_text("1–1 / 1")

    page.get_by_role("link", name="Phạm Thị").click()
    page.locator("#convert").click()
    expect(page.get_by_text(re.compile(r"Đã chuyển đổi thành Lead #\d+"))).to_be_visible()
    expect(page.locator("#detail-status")).to_have_text("Đã chuyển đổi")
    lead_id = db_scalar(running_app, "select converted_lead_id from raw_leads where id = :i", i=record_id)
    assert db_scalar(running_app, "select raw_lead_id from leads where id = :i", i=lead_id) == record_id
    page.locator("#converted-link").click()
    expect(page.locator("#lead-title")).to_have_text("Phạm Thị Ánh Tuyết")
    expect(page.locator("#lead-raw-link")).to_have_text(f"Chuyển đổi từ KH thô #{record_id}")
    app_page.screenshot("lead-detail")
    page.locator("#lead-edit").click()
    expect(page.get_by_role("heading", name="Sửa Lead")).to_be_visible()
    page.locator("#f-company").fill("Công ty Đã Thành Lead")
    page.locator("#save").click()
    expect(page.locator("#lead-title")).to_have_text("Phạm Thị Ánh Tuyết")
    expect(page.get_by_text("Công ty Đã Thành Lead", exact=True)).to_be_visible()  # not the timeline line
    assert db_scalar(running_app, "select company from leads where id = :i", i=lead_id) == "Công ty Đã Thành Lead"
    assert db_scalar(running_app, "select company from raw_leads where id = :i", i=record_id) == "Công ty Ánh Dương"


def test_saved_filter_and_columns(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("thuhuong")
    expect(page.locator("#range-label")).to_contain_text("/ ")
    page.locator("#columns-button").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("div").filter(has_text=re.compile(r"^Đồng bộ Zalo$")).get_by_role("checkbox").click()
    dialog.get_by_role("button", name="Lưu cho tôi").click()
    expect(page.get_by_role("columnheader", name="Đồng bộ Zalo")).to_be_visible()

    pick(page, "#saved-filter", "★ Từ Zalo OA")
    zalo = db_scalar(running_app, "select count(*) from raw_leads where zalo_user_id is not null")
    expect(page.locator("#range-label")).to_have_text(re.compile(rf"/ {zalo}$"))
    app_page.screenshot("raw-leads-zalo-filter")
    page.reload()
    expect(page.get_by_role("columnheader", name="Đồng bộ Zalo")).to_be_visible()


def test_admin_bulk_assigns(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("admin")
    matching = db_scalar(running_app, "select count(*) from raw_leads where search_text like '%binh%'")
    page.locator("#search").fill("binh")
    expect(page.locator("#range-label")).to_have_text(re.compile(rf"/ {matching}$"))
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    count = min(rows.count(), 3)
    for i in range(count):
        rows.nth(i).get_by_role("checkbox").click()
    expect(page.locator("#bulk-bar")).to_contain_text(f"Đã chọn {count}")
    page.locator("#bulk-bar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="Vũ Tiến Dũng (dung.vu)").click()
    expect(page.get_by_text(f"Đã giao {count} KH thô cho dung.vu.")).to_be_visible()
    app_page.screenshot("raw-leads-bulk-assigned")
    dung = db_scalar(running_app, "select id from users where username = 'dung.vu'")
    assigned = db_scalar(running_app,
                         "select count(*) from raw_leads where search_text like '%binh%' and assigned_to_id = :u "
                         "and id in (select entity_id from audit_entries where source = 'bulk')", u=dung)
    assert assigned == count
