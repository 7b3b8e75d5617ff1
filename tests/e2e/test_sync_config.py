"""The sync configuration's three tabs, changed and saved by an admin; refused to a user."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def stored(app: RunningApp) -> dict:
    engine = create_engine(app.database_url)
    with engine.connect() as conn:
        value = conn.execute(text("select settings from sync_config order by id limit 1")).scalar()
    engine.dispose()
    return json.loads(value) if isinstance(value, str) else value


def test_admin_changes_each_tab_and_saves(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("admin")
    app_page.goto("/settings/sync")
    expect(page.get_by_role("heading", name="Cấu hình đồng bộ thông tin KH")).to_be_visible()
    page.get_by_text("Email và số điện thoại", exact=True).click()
    page.locator("#target_when_met-raw_lead").click()
    page.get_by_text("Không lưu", exact=True).click()
    page.locator("#convert-switch").click()
    page.get_by_text("Bỏ qua — tạo mới mà không kiểm tra trùng", exact=True).click()
    app_page.screenshot("sync-overview")
    page.get_by_role("tab", name="Phân bổ khách hàng cho người phụ trách").click()
    for name in ("Nguyễn Minh Hiếu (hieu.nguyen)", "Vũ Tiến Dũng (dung.vu)", "Võ Hoàng Phú (phu.vo)"):
        page.locator("#add-assignee").click()
        page.get_by_role("option", name=name).click()
    page.get_by_text("Người đang có ít KH thô chưa xử lý nhất", exact=True).click()
    app_page.screenshot("sync-assignment")
    page.get_by_role("tab", name="Cấu hình tạo ticket tự động").click()
    page.locator("#ticket-zalo_oa").click()
    page.locator("#ticket-webform").click()
    app_page.screenshot("sync-tickets")
    page.locator("#save-sync").click()
    expect(page.get_by_text("Đã lưu cấu hình.")).to_be_visible()
    settings = stored(running_app)
    assert settings["condition"] == "email_and_phone"
    assert settings["target_when_met"] == "raw_lead" and settings["target_when_not_met"] == "none"
    assert settings["convert_on_update"] is False and settings["on_match"] == "skip"
    assert settings["assignment_method"] == "least_open" and len(settings["assignment_users"]) == 3
    assert settings["tickets"] == {"webform": True, "zalo_oa": True, "zalo_ads_form": False, "chatbot": False}
    page.reload()
    page.get_by_role("tab", name="Phân bổ khách hàng cho người phụ trách").click()
    expect(page.locator("#assignees")).to_contain_text("Võ Hoàng Phú")


def test_user_cannot_open_the_sync_screen(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    app_page.goto("/settings/sync")
    expect(page).to_have_url(re.compile(r"/raw-leads/?$"))
