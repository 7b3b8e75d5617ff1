"""A web-form delivery shows on the admin's channel-events screen with the record it produced."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_form_delivery_is_listed_with_its_record(app_page_factory: Callable[..., AppPage],
                                                 running_app: RunningApp) -> None:
    out = running_app.crm("form", "add", "landing-e2e", "--channel", "Webform", "--secret", "bi-mat-e2e").stdout
    assert "landing-e2e" in out
    response = httpx.post(f"{running_app.base_url}/api/webhooks/forms/landing-e2e",
                          json={"name": "Khách Từ Form", "phone": "0977 111 222", "email": "form@e2e.vn"},
                          headers={"X-Webhook-Token": "bi-mat-e2e"}, timeout=20)
    assert response.status_code == 200
    for width, height in ((1366, 860), (390, 844)):
        app_page = app_page_factory((width, height))
        page = app_page.login("admin")
        app_page.goto("/settings/channels")
        expect(page.get_by_role("heading", name="Sự kiện kênh")).to_be_visible()
        row = page.locator("tbody tr").first
        expect(row).to_contain_text("Đã xử lý", timeout=15_000)
        # The channel's name from the registry, and which form the submission came through.
        expect(row).to_contain_text("Web form · landing-e2e")
        expect(row.get_by_role("link", name=re.compile(r"^(KH thô|Lead) #\d+$")).first).to_be_visible()
        app_page.screenshot(f"channel-events-{width}")


def test_user_cannot_open_channel_events(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    app_page.goto("/settings/channels")
    expect(page).to_have_url(re.compile(r"/raw-leads/?$"))


def test_admin_adds_a_form_and_its_secret_works(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("admin")
    app_page.goto("/settings/forms")
    page.locator("#form-key").fill("landing-ui")
    page.locator("#form-add").click()
    card = page.locator("form").filter(has_text="landing-ui")
    expect(card).to_be_visible()
    secret = card.locator("input[readonly]").input_value()
    assert len(secret) > 20
    card.locator("textarea[name=mapping]").fill("sdt_khach = mobile")
    card.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu cấu hình.")).to_have_count(2)
    app_page.screenshot("forms-admin")
    response = httpx.post(f"{running_app.base_url}/api/webhooks/forms/landing-ui?token={secret}",
                          json={"ho_ten": "Qua Form UI", "sdt_khach": "0977 333 444"}, timeout=20)
    assert response.status_code == 200
    forged = httpx.post(f"{running_app.base_url}/api/webhooks/forms/landing-ui?token=wrong",
                        json={"ho_ten": "Giả"}, timeout=20)
    assert forged.status_code in (401, 403)
