"""Care in Chromium: a salesperson logs a call on a new raw lead (it moves to Đang chăm sóc), plans a
task, finds it under Việc của tôi with the sidebar badge, and completes it in one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from crm_app.db import get_engine
from crm_app.services.raw_leads.records import create
from tests.apprunner import RunningApp
from tests.e2e.conftest import acting_as, open_as

pytestmark = pytest.mark.e2e


def test_log_a_call_plan_a_task_and_complete_it_under_my_tasks(app_page_factory, running_app: RunningApp) -> None:
    with acting_as(running_app, "thuhuong") as (s, owner):
        record = create(s, owner, {"last_name": "Đỗ Minh", "first_name": "Chăm Sóc",
                                   "mobile": "0915 246 802"})
        record_id = record.id
    app_page, page = open_as(app_page_factory, "thuhuong", f"/raw-leads/{record_id}")
    expect(page.locator("#detail-status")).to_have_text("Mới")
    page.locator("#care-outcome").click()
    page.get_by_role("option", name="Quan tâm", exact=True).click()
    page.locator("#care-note-opt").first.fill("Khách hỏi giá gói năm")
    page.locator("#care-call-save").click()
    expect(page.get_by_text("Đã ghi cuộc gọi.")).to_be_visible()
    expect(page.locator("#detail-status")).to_have_text("Đang chăm sóc")
    expect(page.locator("#timeline")).to_contain_text("đã gọi điện")
    expect(page.locator("#timeline")).to_contain_text("Kết quả: Quan tâm; Khách hỏi giá gói năm")
    expect(page.locator("#timeline")).to_contain_text("Trạng thái: Mới → Đang chăm sóc")

    # A task due later today (Hà Nội time), for the record's owner by default.
    local_now = datetime.now(UTC) + timedelta(hours=7)
    page.locator("#care-tab-task").click()
    page.locator("#care-task-title").fill("Gửi báo giá gói năm")
    page.locator("#care-task-date").fill(local_now.strftime("%Y-%m-%d"))
    page.locator("#care-task-time").fill("23:59")
    page.locator("#care-task-save").click()
    expect(page.get_by_text("Đã tạo việc.")).to_be_visible()
    expect(page.locator("#care-open-tasks")).to_contain_text("Gửi báo giá gói năm")
    expect(page.locator("#timeline")).to_contain_text("đã tạo việc")
    app_page.screenshot("care-detail-1366")

    page.get_by_role("link", name="Việc của tôi").click()
    expect(page.locator("#tasks-today")).to_contain_text("Gửi báo giá gói năm")
    expect(page.locator("#tasks-today")).to_contain_text("Đỗ Minh Chăm Sóc")
    expect(page.locator("#task-badge")).to_have_text("1")
    app_page.screenshot("my-tasks-1366")

    narrow, small = open_as(app_page_factory, "thuhuong", "/tasks", (390, 844))
    expect(small.locator("#tasks-today")).to_contain_text("Gửi báo giá gói năm")
    narrow.screenshot("my-tasks-390")
    narrow.goto(f"/raw-leads/{record_id}")
    expect(small.locator("#care-panel")).to_be_visible()
    narrow.screenshot("care-detail-390")

    page.locator("#tasks-today .task-done").first.click()
    expect(page.get_by_text("Đã hoàn thành việc.")).to_be_visible()
    expect(page.locator("#tasks-today")).to_contain_text("Không có việc nào.")
    expect(page.locator("#task-badge")).to_have_count(0)
    engine = get_engine(running_app.database_url)
    with engine.connect() as conn:
        done = conn.execute(text("SELECT done_at IS NOT NULL FROM activities WHERE title = 'Gửi báo giá gói năm'"))
        assert done.scalar() in (True, 1)
    page.goto(running_app.base_url + f"/raw-leads/{record_id}")
    expect(page.locator("#timeline")).to_contain_text("đã hoàn thành việc")
