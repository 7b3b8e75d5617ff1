"""An admin sets how long import files are kept; the value holds after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm_app import routes

pytestmark = pytest.mark.e2e


def test_admin_sets_file_retention(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    for width, height in ((1366, 860), (390, 844)):
        app_page = app_page_factory(viewport=(width, height))
        page = app_page.login("admin", landing=routes.SETTINGS)
        field = page.locator("#retention-days")
        expect(field).to_have_value("30" if width > 400 else "45")
        field.fill("45")
        page.locator("#retention-save").click()
        expect(page.get_by_text("Đã lưu").first).to_be_visible()
        app_page.screenshot(f"settings-retention-{width}")
        page.reload()
        expect(page.locator("#retention-days")).to_have_value("45")
    page.locator("#retention-days").fill("30")
    page.locator("#retention-save").click()
    expect(page.get_by_text("Đã lưu").first).to_be_visible()
