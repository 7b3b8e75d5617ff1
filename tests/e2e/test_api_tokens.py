"""An admin issues an API token for a salesperson, sees it once, and revokes it: the token answers
over HTTP while active and is refused at once after."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_admin_issues_and_revokes_a_token(app_page_factory, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    ap: AppPage = app_page_factory()
    page = ap.login("admin", landing="/settings/api")
    expect(page.get_by_role("heading", name="API token")).to_be_visible()
    page.locator("#token-name").fill("Tổng đài Thu Hương")
    page.get_by_role("combobox", name="Thuộc người dùng").click()
    page.get_by_role("option", name="(thuhuong)").click()
    page.get_by_role("combobox", name="Quyền").click()
    page.get_by_role("option", name="Đọc và ghi").click()
    page.locator("#token-create").click()
    shown = page.locator("#new-token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("crm_")
    expect(page.get_by_text("chỉ hiển thị một lần")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Tổng đài Thu Hương")
    expect(row).to_contain_text("thuhuong")
    expect(row).to_contain_text("Đọc và ghi")
    expect(row).to_contain_text("Chưa dùng")
    ap.screenshot("api-tokens-1366")

    answer = httpx.get(f"{running_app.base_url}/api/raw-leads", headers={"Authorization": f"Bearer {token}"},
                       params={"limit": 1}, timeout=20)
    assert answer.status_code == 200 and answer.json()["total"] > 0

    page.locator("#token-done").click()
    expect(shown).to_have_count(0)
    page.reload()
    expect(row).not_to_contain_text("Chưa dùng")  # last used is shown after the call
    assert token not in page.content()  # shown once: never again

    phone = app_page_factory(viewport=(390, 844))
    phone.login("admin", landing="/settings/api")
    expect(phone.page.get_by_role("heading", name="API token")).to_be_visible()
    card = phone.page.locator(".rt-Card").filter(has_text="Tổng đài Thu Hương")
    expect(card).to_be_visible()
    expect(card.get_by_role("button", name="Thu hồi")).to_be_in_viewport()
    phone.screenshot("api-tokens-390")

    row.get_by_role("button", name="Thu hồi").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Thu hồi").click()
    expect(row).to_contain_text("Đã thu hồi")
    refused = httpx.get(f"{running_app.base_url}/api/raw-leads", headers={"Authorization": f"Bearer {token}"},
                        timeout=20)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "API token không đúng hoặc đã bị thu hồi."
