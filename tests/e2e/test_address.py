"""Address autocomplete in the create form, with the offline provider, driven by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_pick_a_suggestion_with_the_keyboard_fills_the_address(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    app_page.goto("/raw-leads/new")
    page.locator("#f-first_name").fill("Địa Chỉ")
    street = page.locator("#f-street")
    street.click()
    street.press_sequentially("12 Nguyễn Huệ, p ben nghe, q1", delay=20)
    suggestions = page.locator("#address-suggestions [role=option]")
    expect(suggestions.first).to_be_visible()
    expect(suggestions.first).to_contain_text("Bến Nghé")
    app_page.screenshot("address-suggestions")
    street.press("ArrowDown")
    street.press("ArrowUp")
    street.press("Enter")
    expect(page.locator("#address-suggestions")).to_have_count(0)
    expect(page.locator("#f-ward")).to_have_value("Phường Bến Nghé")
    expect(page.locator("#f-district")).to_have_value("Quận 1")
    expect(page.locator("#f-province")).to_have_value("Thành phố Hồ Chí Minh")
    expect(page.locator("#f-country")).to_have_value("Việt Nam")
    expect(street).to_have_value("12 Nguyễn Huệ")
    page.locator("#f-ward").fill("Phường Bến Nghé (cũ)")  # filled fields stay editable
    page.locator("#save").click()
    expect(page.locator("#detail-title")).to_have_text("Địa Chỉ")
    expect(page.get_by_text("Phường Bến Nghé (cũ)")).to_be_visible()
    expect(page.get_by_text("Quận 1", exact=True)).to_be_visible()
    expect(page.get_by_text("Việt Nam", exact=True)).to_be_visible()
    app_page.screenshot("address-detail")


def test_nonsense_address_is_kept_as_typed(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    app_page.goto("/raw-leads/new")
    page.locator("#f-first_name").fill("Không Rõ")
    page.locator("#f-street").press_sequentially("zzqx lô 7 kho bãi", delay=10)
    page.wait_for_timeout(800)
    page.locator("#f-street").press("Escape")
    page.locator("#save").click()
    expect(page.locator("#detail-title")).to_have_text("Không Rõ")
    expect(page.get_by_text("zzqx lô 7 kho bãi")).to_be_visible()
