"""The dashboard with the demo data: figures shown, a click on a channel bar opens the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_dashboard_loads_and_a_channel_bar_opens_the_filtered_list(app_page: AppPage) -> None:
    page = app_page.login("admin", landing="")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible(timeout=15_000)
    expect(page.locator("#card-conversion")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    app_page.screenshot("dashboard-desktop")
    page.locator(".recharts-bar-rectangle").first.click()
    expect(page).to_have_url(re.compile(r"/raw-leads/?\?.*input_source="))
    expect(page.locator("#range-label")).to_be_visible()
    expect(page.locator("#filters-button")).to_contain_text("2")


def test_dashboard_at_a_narrow_width(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    narrow = app_page_factory(viewport=(420, 900))
    page = narrow.login("thuhuong", landing="")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.locator("#card-failing")).to_have_count(0)  # channel events are an admin matter
    narrow.screenshot("dashboard-narrow")
