"""An admin adds status values with their meaning (open / closed) on the field settings screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_app import routes

pytestmark = pytest.mark.e2e


def _row(page: Page, value: str):  # type: ignore[no-untyped-def]
    """The hstack of one picklist value (its input, arrows, switch and meaning)."""
    return page.locator("div.rt-Flex", has=page.locator(f"input[value='{value}']")).last


def test_admin_adds_statuses_with_their_meaning(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    added = []
    page = None
    for width, height, value, meaning in ((1366, 860, "Hẹn gọi lại (e2e)", "Đang mở"),
                                          (390, 844, "Đã huỷ (e2e)", "Đã đóng")):
        app_page = app_page_factory(viewport=(width, height))
        page = app_page.login("admin", landing=routes.SETTINGS_FIELDS)
        page.get_by_role("combobox").first.click()
        page.get_by_role("option", name="Trạng thái", exact=True).click()
        # The built-in values show the guide's meanings.
        expect(_row(page, "Đã chuyển đổi").locator(".meaning")).to_have_text("Đã chuyển đổi")
        expect(_row(page, "Không tiềm năng").locator(".meaning")).to_have_text("Đã đóng")
        page.locator("#new-value").fill(value)
        page.locator("#new-meaning").click()
        page.get_by_role("option", name=meaning, exact=True).click()
        page.get_by_role("button", name="Thêm giá trị").click()
        expect(_row(page, value).locator(".meaning")).to_have_text(meaning)
        added.append(value)
        app_page.screenshot(f"status-meaning-{width}")
    assert page is not None
    # The shared e2e app: the values are switched off again so other tests' pickers do not change.
    for value in added:
        _row(page, value).get_by_role("switch").click()
        expect(_row(page, value)).to_contain_text("Đã khoá")
