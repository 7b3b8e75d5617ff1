"""Address autocomplete in the create form, with the offline provider, driven by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

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


def _pick_first(page: Page, typed: str, expected_text: str) -> None:
    street = page.locator("#f-street")
    street.click()
    street.fill("")
    street.press_sequentially(typed, delay=15)
    first = page.locator("#address-suggestions [role=option]").first
    expect(first).to_contain_text(expected_text)
    first.dispatch_event("mousedown")  # the list picks on mousedown, before the input's blur closes it
    expect(page.locator("#address-suggestions")).to_have_count(0)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_pre_2025_address_fills_the_four_fields_and_shows_its_2025_place(app_page_factory, width: int) -> None:
    """The guide's flow: type the customer's address, pick the suggestion, Phường/Xã, Quận/Huyện, Tỉnh/TP and
    Quốc gia fill themselves; an address written before the 2025 reform keeps its form, with today's as a hint."""
    app_page = app_page_factory(viewport=(width, 900))
    page = app_page.login("thuhuong")
    app_page.goto("/raw-leads/new")
    page.locator("#f-first_name").fill("Hướng Dẫn")
    street = page.locator("#f-street")
    street.click()
    street.press_sequentially("135 Nam Kỳ Khởi Nghĩa, P. Bến Thành, Q1, TPHCM", delay=15)
    options = page.locator("#address-suggestions [role=option]")
    expect(options.first).to_contain_text("Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh")
    expect(options.first).to_contain_text("2025: Phường Bến Thành, Thành phố Hồ Chí Minh")
    app_page.screenshot(f"address-2025-suggestions-{width}")
    options.first.dispatch_event("mousedown")
    expect(page.locator("#f-ward")).to_have_value("Phường Bến Thành")
    expect(page.locator("#f-district")).to_have_value("Quận 1")
    expect(page.locator("#f-province")).to_have_value("Thành phố Hồ Chí Minh")
    expect(page.locator("#f-country")).to_have_value("Việt Nam")
    expect(street).to_have_value("135 Nam Kỳ Khởi Nghĩa")
    expect(page.locator("#address-2025-place")).to_have_text("Phường Bến Thành, Thành phố Hồ Chí Minh")
    page.locator("#address-2025").scroll_into_view_if_needed()
    app_page.screenshot(f"address-2025-hint-{width}")

    # A divided ward names the other 2025 wards too; a typo is forgiven.
    _pick_first(page, "P. Dich Vong Hauu, Q. Cầu Giấy, Hà Nội", "Phường Dịch Vọng Hậu, Quận Cầu Giấy")
    expect(page.locator("#address-2025-place")).to_have_text("Phường Cầu Giấy, Thành phố Hà Nội")
    expect(page.locator("#address-2025")).to_contain_text("Phường Nghĩa Đô")
    page.locator("#address-2025").scroll_into_view_if_needed()
    app_page.screenshot(f"address-2025-divided-{width}")

    # A 2025 address: ward directly under the province, no district, no hint.
    _pick_first(page, "Xuân Hương, Đà Lạt, Lâm Đồng", "Phường Xuân Hương - Đà Lạt, Tỉnh Lâm Đồng")
    expect(page.locator("#f-ward")).to_have_value("Phường Xuân Hương - Đà Lạt")
    expect(page.locator("#f-district")).to_have_value("")
    expect(page.locator("#f-province")).to_have_value("Tỉnh Lâm Đồng")
    expect(page.locator("#address-2025")).to_have_count(0)
    page.locator("#save").click()
    expect(page.locator("#detail-title")).to_have_text("Hướng Dẫn")
    expect(page.get_by_text("Phường Xuân Hương - Đà Lạt")).to_be_visible()


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
