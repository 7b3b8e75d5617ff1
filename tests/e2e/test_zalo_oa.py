"""An admin connects the Zalo OA through Zalo's consent page (the fake's) and back; later Zalo
expires the token while the refresh token has been spent elsewhere (-14020): the next follow's
name look-up refreshes once, the panel says in Vietnamese that the OA must be reconnected, and
"Kết nối lại" brings it back. Screenshots of the panel at 1366 and 390 px."""

from __future__ import annotations

import hashlib
import json
import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage
from tests.fakes import ZALO_APP_ID, ZALO_OAUTH, ZALO_SECRET

pytestmark = pytest.mark.e2e
CONNECTED, BROKEN, NOT_CONNECTED = "Đã kết nối", "Cần kết nối lại", "Chưa kết nối"


def send_follow(app: RunningApp, follower: str) -> None:
    timestamp = str(int(time.time() * 1000))
    body = json.dumps({"oa_id": "388613280879808645", "follower": {"id": follower}, "event_name": "follow",
                       "source": "oa_profile", "app_id": ZALO_APP_ID, "timestamp": timestamp}).encode()
    mac = hashlib.sha256(ZALO_APP_ID.encode() + body + timestamp.encode() + ZALO_SECRET.encode()).hexdigest()
    answer = httpx.post(f"{app.base_url}/api/webhooks/zalo", content=body, timeout=10,
                        headers={"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})
    assert answer.status_code == 200


def connect_through_zalo(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    # Zalo's consent page (the fake approves at once) sends the browser back through the callback.
    expect(page).to_have_url(re.compile(r"/settings/zalo/?\?zalo=ok$"), timeout=30_000)
    expect(page.locator("#zalo-result")).to_have_text("Đã kết nối Zalo OA.")
    expect(page.locator("#zalo-status")).to_have_text(CONNECTED)


def test_admin_connects_the_oa_sees_it_break_and_reconnects(app_page_factory, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    ZALO_OAUTH.reset()
    ap: AppPage = app_page_factory()
    page = ap.login("admin", landing="/settings/zalo")
    expect(page.get_by_role("heading", name="Kết nối Zalo OA")).to_be_visible()
    expect(page.locator("#zalo-status")).to_have_text(NOT_CONNECTED)
    expect(page.get_by_text("CRM_ZALO_OA_ACCESS_TOKEN")).to_be_visible()  # the bootstrap token is in use
    expect(page.locator("#zalo-callback-url")).to_have_text(f"{running_app.base_url}/api/zalo/oauth/callback")

    connect_through_zalo(page, "Kết nối Zalo OA")
    panel = page.locator("#zalo-panel")
    expect(panel).to_contain_text("CRM Demo OA · 388613280879808645")
    expect(panel).to_contain_text("Access token hết hạn")
    assert ZALO_OAUTH.code_calls == 1 and ZALO_OAUTH.refresh_calls == 0
    issued = [*ZALO_OAUTH.access, *ZALO_OAUTH.refresh]
    assert not [token for token in issued if token in page.content() or token in page.url]
    ap.screenshot("zalo-oa-connected-1366")

    # A day later: Zalo says the access token expired (-216) and the refresh token was already used.
    ZALO_OAUTH.spend_refresh_tokens()
    ZALO_OAUTH.expire_access_tokens()
    send_follow(running_app, "24684588352919801")
    deadline = time.monotonic() + 60
    while ZALO_OAUTH.refresh_calls == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    page.goto(f"{running_app.base_url}/settings/zalo")
    expect(page.locator("#zalo-status")).to_have_text(BROKEN)
    expect(page.locator("#zalo-broken")).to_contain_text("Kết nối Zalo OA đã mất hiệu lực")
    expect(page.locator("#zalo-last-error")).to_contain_text("-14020")
    assert ZALO_OAUTH.refresh_calls == 1  # refreshed once, not again on every event
    ap.screenshot("zalo-oa-broken-1366")
    page.goto(f"{running_app.base_url}/settings/channels")  # where an admin looks when channels misbehave
    expect(page.locator("#zalo-notice")).to_contain_text("Kết nối Zalo OA đã mất hiệu lực")
    page.locator("#zalo-notice").get_by_role("link", name="Kết nối lại").click()
    expect(page.locator("#zalo-status")).to_have_text(BROKEN)

    phone = app_page_factory(viewport=(390, 844))
    phone.login("admin", landing="/settings/zalo")
    expect(phone.page.locator("#zalo-broken")).to_be_visible()
    reconnect = phone.page.get_by_role("button", name="Kết nối lại")
    reconnect.scroll_into_view_if_needed()
    expect(reconnect).to_be_in_viewport()
    box = phone.page.locator("#zalo-panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # no sideways scrolling
    phone.screenshot("zalo-oa-broken-390")

    connect_through_zalo(page, "Kết nối lại")
    expect(page.locator("#zalo-last-error")).to_have_count(0)
    page.goto(f"{running_app.base_url}/settings/channels")
    expect(page.get_by_role("heading", name="Sự kiện kênh")).to_be_visible()
    expect(page.locator("#zalo-notice")).to_be_hidden()
    page.goto(f"{running_app.base_url}/settings/zalo")
    phone.page.reload()
    expect(phone.page.locator("#zalo-status")).to_have_text(CONNECTED)
    phone.screenshot("zalo-oa-connected-390")

    # Disconnect: the app goes back to the bootstrap token (as the other tests expect it).
    page.get_by_role("button", name="Ngắt kết nối").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Ngắt kết nối").click()
    expect(page.locator("#zalo-status")).to_have_text(NOT_CONNECTED)


def test_a_salesperson_cannot_open_the_panel(app_page_factory) -> None:  # type: ignore[no-untyped-def]
    ap: AppPage = app_page_factory()
    page = ap.login("thuhuong", landing="")
    page.goto(ap.base_url + "/settings/zalo")
    expect(page).to_have_url(re.compile(r"/raw-leads"))
    expect(page.get_by_text("Chỉ quản trị viên mới được mở trang này.")).to_be_visible()
