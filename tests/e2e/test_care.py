"""Care in Chromium: a salesperson logs a call on a new raw lead (it moves to Đang chăm sóc), plans a
task, finds it under Việc của tôi with the sidebar badge, and completes it in one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from crm_app.db import get_engine
from crm_app.services import activities
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


def test_a_reminder_appears_without_a_reload(app_page_factory, running_app: RunningApp) -> None:
    """The scheduled job raises a reminder for a task due in 10 minutes while the page is open: it shows
    in the sidebar and as a toast within the shell's poll (30 s), without a reload; the badge follows."""
    with acting_as(running_app, "dung.vu") as (s, owner):
        record_id = create(s, owner, {"last_name": "Hẹn", "first_name": "Nhắc Việc", "mobile": "0915 864 200"}).id or 0
    app_page, page = open_as(app_page_factory, "dung.vu", "/tasks")
    expect(page.locator("#tasks-today")).to_be_visible()
    expect(page.locator("#notifications")).to_have_count(0)
    with acting_as(running_app, "dung.vu") as (s, owner):
        activities.add_task(s, owner, "raw_lead", record_id, title="Gọi chốt hợp đồng",
                            due_at=datetime.now(UTC) + timedelta(minutes=10))
        activities.remind_due_tasks(s)  # the scheduled job's work (every minute in the worker)
    expect(page.locator("#notifications")).to_contain_text("Gọi chốt hợp đồng", timeout=45_000)
    expect(page.locator("[data-sonner-toast]").filter(has_text="Gọi chốt hợp đồng")).to_be_visible()
    if (datetime.now(UTC) + timedelta(hours=7, minutes=10)).date() == (datetime.now(UTC) + timedelta(hours=7)).date():
        expect(page.locator("#task-badge")).to_have_text("1")
        # the list follows on its own poll (within 30 s)
        expect(page.locator("#tasks-today")).to_contain_text("Gọi chốt hợp đồng", timeout=45_000)
    app_page.screenshot("reminder-live-1366")
