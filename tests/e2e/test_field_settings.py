"""An admin adds a picklist value and a custom field; both reach the create form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_admin_adds_a_picklist_value_and_a_custom_field(app_page: AppPage) -> None:
    page = app_page.login("admin", landing="/settings/fields")
    expect(page.get_by_role("heading", name="Danh sách chọn")).to_be_visible()
    page.get_by_placeholder("Thêm giá trị").fill("TikTok")
    page.get_by_role("button", name="Thêm giá trị").click()
    expect(page.locator("input[value='TikTok']")).to_be_visible()
    page.locator("input[name=key]").fill("nganh_nghe")
    page.locator("input[name=label_vi]").fill("Ngành nghề")
    page.get_by_role("button", name="Thêm trường").click()
    expect(page.get_by_role("cell", name="nganh_nghe")).to_be_visible()
    app_page.screenshot("field-settings")
    app_page.goto("/raw-leads/new")
    expect(page.get_by_text("Ngành nghề")).to_be_visible()
    page.get_by_role("combobox").nth(1).click()  # Danh xưng, then Nguồn
    expect(page.get_by_role("option", name="TikTok")).to_be_visible()
