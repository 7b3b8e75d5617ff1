"""Login, the shell, and the guards, in Chromium against the real app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_login_shows_the_shell(app_page: AppPage) -> None:
    page = app_page.login("thuhuong", landing="")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/?$"))
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    expect(page.locator("#current-user")).to_have_text("Nguyễn Thu Hường")
    expect(page.get_by_role("link", name="KH thô", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Lead", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Ticket")).to_be_visible()
    # A user who is not an admin is not offered the settings.
    expect(page.get_by_role("link", name="Cấu hình hệ thống")).to_have_count(0)
    app_page.screenshot("shell-thuhuong")


def test_session_survives_a_reload(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    page.reload()
    expect(page.locator("#current-user")).to_have_text("Nguyễn Thu Hường")


def test_wrong_password_shows_a_vietnamese_error(app_page: AppPage) -> None:
    page = app_page.goto("/login")
    page.locator("#username").fill("thuhuong")
    page.locator("#password").fill("sai-mat-khau")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("Tên truy cập hoặc mật khẩu không đúng")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    app_page.screenshot("login-error")


@pytest.mark.parametrize("path", ["/raw-leads", "/leads", "/tickets", "/settings", "/"])
def test_logged_out_visitor_lands_on_login(app_page: AppPage, path: str) -> None:
    page = app_page.goto(path)
    expect(page.locator("#login-submit")).to_be_visible()
    assert "/login" in page.url


def test_user_cannot_open_settings(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    app_page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/raw-leads/?$"), timeout=15_000)
    expect(page.get_by_text("Chỉ quản trị viên mới được mở trang này.")).to_be_visible()


def test_admin_opens_settings_and_logs_out(app_page: AppPage) -> None:
    page = app_page.login("admin")
    page.get_by_role("link", name="Cấu hình hệ thống").click()
    expect(page.get_by_role("heading", name="Cấu hình hệ thống")).to_be_visible()
    expect(page.get_by_role("cell", name="thuhuong", exact=True)).to_be_visible()
    app_page.screenshot("settings-admin")
    page.locator("#logout").click()
    expect(page.locator("#login-submit")).to_be_visible()
    app_page.goto("/settings")
    expect(page.locator("#login-submit")).to_be_visible()


def test_english_locale_switch(app_page: AppPage) -> None:
    page = app_page.login("thuhuong")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Raw leads", exact=True)).to_be_visible()
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("link", name="KH thô", exact=True)).to_be_visible()
