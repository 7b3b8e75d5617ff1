"""An admin sets the organisation's time zone on the settings page; it holds after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_app import routes

pytestmark = pytest.mark.e2e


def _choose(page: Page, zone: str) -> None:
    page.locator("#time-zone").click()
    page.get_by_role("option", name=zone, exact=True).click()
    expect(page.get_by_text("Đã lưu").first).to_be_visible()


def test_admin_sets_the_time_zone(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    page = None
    try:
        for width, height, zone in ((1366, 860, "Asia/Bangkok"), (390, 844, "UTC")):
            app_page = app_page_factory(viewport=(width, height))
            page = app_page.login("admin", landing=routes.SETTINGS)
            select = page.locator("#time-zone")
            expect(select).to_contain_text("Asia/Ho_Chi_Minh" if width > 400 else "Asia/Bangkok")
            _choose(page, zone)
            expect(select).to_contain_text(zone)
            app_page.screenshot(f"settings-time-zone-{width}")
            page.reload()
            expect(page.locator("#time-zone")).to_contain_text(zone)
    finally:
        # The app is shared by the e2e suite: give it back its default zone.
        if page is not None:
            _choose(page, "Asia/Ho_Chi_Minh")
            expect(page.locator("#time-zone")).to_contain_text("Asia/Ho_Chi_Minh")
