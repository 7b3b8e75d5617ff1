"""A press of «Đăng nhập» before the page's scripts have loaded must not put the password in a URL.

Without scripts the browser submits the form itself. It used to send `GET /login/?username=…&password=…`
(address bar, history, server logs); the form now posts to a route that sends the browser back to the
login page without reading what it received."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import Browser, Request, expect

from tests.apprunner import RunningApp
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e
SECRET = "Mk-bi-mat-7391"


@pytest.mark.parametrize("how", ["javascript-disabled", "scripts-not-loaded-yet"])
def test_native_submit_never_puts_the_password_in_a_url(browser: Browser, running_app: RunningApp,
                                                        how: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                  java_script_enabled=how != "javascript-disabled")
    context.set_default_timeout(15_000)
    page = context.new_page()
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r))
    if how == "scripts-not-loaded-yet":
        # The page's scripts never arrive: exactly the moment a slow phone is in.
        page.route(re.compile(r".*\.(m?js)(\?.*)?$"), lambda route: route.abort())
    log_before = running_app.log_path.stat().st_size
    page.goto(running_app.base_url + "/login?next=/raw-leads")
    page.locator("#username").fill("thuhuong")
    page.locator("#password").fill(SECRET)
    page.locator("#login-submit").click()
    page.wait_for_url(re.compile(r"retry=1"))
    page.wait_for_load_state()

    urls = [unquote_plus(r.url) for r in seen]
    assert any("/api/login" in u for u in urls), urls  # the native submit did happen
    posted = [r for r in seen if "/api/login" in r.url]
    assert [r.method for r in posted] == ["POST"]
    assert not [u for u in urls if SECRET in u or "password=" in u], urls
    assert SECRET not in unquote_plus(page.url) and "password" not in page.url
    assert "next=/raw-leads" in unquote_plus(page.url)  # where the user was going is kept
    expect(page.locator("#login-submit")).to_be_visible()
    with running_app.log_path.open("rb") as log:
        log.seek(log_before)
        assert SECRET.encode() not in log.read()

    if how == "scripts-not-loaded-yet":
        # Once the scripts load, the page says why the user is back, and the login works.
        page.unroute(re.compile(r".*\.(m?js)(\?.*)?$"))
        page.reload()
        expect(page.locator("#login-notice")).to_contain_text("Trang chưa tải xong")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "login-retry-390.png"), full_page=True)
        page.locator("#username").fill("thuhuong")
        page.locator("#password").fill("demo1234")
        page.locator("#login-submit").click()
        expect(page).to_have_url(re.compile(r"/raw-leads/?$"), timeout=20_000)
        assert not [r.url for r in seen if "demo1234" in unquote_plus(r.url)]
    context.close()
