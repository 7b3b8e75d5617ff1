"""A web-form submission with tickets switched on for Webform opens a ticket, which its
assignee finds in the Ticket module and moves on."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import select

from crm_app.db import get_engine, write_session
from crm_app.models import User
from crm_app.services import sync_settings
from crm_app.services.auth import Actor
from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_form_submission_opens_a_ticket_for_the_assignee(app_page: AppPage, running_app: RunningApp) -> None:
    engine = get_engine(running_app.database_url)
    with write_session(engine) as s:
        admin = Actor.of(s.exec(select(User).where(User.username == "admin")).one())
        hieu = s.exec(select(User).where(User.username == "hieu.nguyen")).one()
        settings = sync_settings.load_config(s)
        settings.tickets = {**settings.tickets, "webform": True}
        settings.assignment_users = [hieu.id]
        sync_settings.save_config(s, admin, settings)
    running_app.crm("form", "add", "ticket-form", "--channel", "Webform", "--secret", "ticket-secret")
    response = httpx.post(f"{running_app.base_url}/api/webhooks/forms/ticket-form", timeout=20,
                          json={"name": "Khách Cần Hỗ Trợ", "phone": "0988 777 666", "email": "ho.tro@e2e.vn"},
                          headers={"X-Webhook-Token": "ticket-secret"})
    assert response.status_code == 200
    page = app_page.login("hieu.nguyen", landing="/tickets")
    link = page.get_by_role("link", name="Khách Cần Hỗ Trợ")
    expect(link.first).to_be_visible(timeout=15_000)
    link.first.click()
    # The detail's own data shows once its load event has answered: only then does the select act.
    expect(page.get_by_role("heading", name=re.compile("Khách Cần Hỗ Trợ"))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("combobox")).to_have_text("Mới")
    page.get_by_role("combobox").click()
    page.get_by_role("option", name="Đang xử lý").click()
    expect(page.get_by_text("Đã lưu cấu hình.")).to_be_visible()
    app_page.screenshot("ticket-detail")
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM tickets WHERE subject LIKE '%Khách Cần Hỗ Trợ%'")).scalar()
    assert status == "Đang xử lý"
