"""A converted raw lead's «Mô tả» is shown on the Lead's detail page (it was copied, but hidden)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage
from tests.e2e.test_raw_leads import db_scalar

pytestmark = pytest.mark.e2e


def test_lead_detail_shows_the_description_after_conversion(app_page: AppPage, running_app: RunningApp) -> None:
    page = app_page.login("thuhuong", landing="/raw-leads/new")
    page.locator("#f-last_name").fill("Đỗ")
    page.locator("#f-first_name").fill("Minh Châu")
    page.locator("#f-mobile").fill("0913 555 010")
    description = "Khách hỏi giá gói 50 người dùng.\nHẹn gọi lại thứ Hai."
    page.locator("#f-description").fill(description)
    page.locator("#save").click()
    expect(page.locator("#detail-title")).to_have_text("Đỗ Minh Châu")
    page.locator("#convert").click()
    expect(page.locator("#detail-status")).to_have_text("Đã chuyển đổi")
    page.locator("#converted-link").click()
    expect(page.locator("#lead-title")).to_have_text("Đỗ Minh Châu")
    lead_id = int(re.search(r"/leads/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert db_scalar(running_app, "select description from leads where id = :i", i=lead_id) == description
    # Both lines, as typed (the line break kept).
    expect(page.locator("#lead-description")).to_have_text(description)
    box = page.locator("#lead-description").bounding_box()
    assert box is not None and box["height"] > 30  # two lines, not one run-on line
    app_page.screenshot("lead-detail-description-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#lead-edit")).to_be_visible()
    edit = page.locator("#lead-edit").bounding_box()
    assert edit is not None and edit["x"] + edit["width"] <= 390
    app_page.screenshot("lead-detail-description-390")
