"""A Lead Ads lead shows on the dashboard under its campaign / lead form, and the row opens the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm_app.db import get_engine
from tests import fakes
from tests.api.test_webhooks import fb_post, settled
from tests.apprunner import RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_ad_leads_per_campaign_and_form(app_page_factory, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    leadgen_id = "555000111222333"
    fakes.GRAPH_ANSWERS[leadgen_id] = (200, {
        "id": leadgen_id, "campaign_name": "Tết 2027 – Căn hộ mẫu", "form_id": "7001", "form_name": "Form nhận báo giá",
        "field_data": [{"name": "FULL_NAME", "values": ["Phan Thị Quảng Cáo"]},
                       {"name": "PHONE", "values": ["0903 555 111"]},
                       {"name": "ngan_sach", "values": ["2 tỷ"]}]})
    payload = {"object": "page", "entry": [{"id": "123", "time": 1, "changes": [{"field": "leadgen", "value": {
        "leadgen_id": leadgen_id, "form_id": "7001", "ad_id": "8001", "adgroup_id": "9001", "page_id": "123"}}]}]}
    assert fb_post(running_app, payload).status_code == 200
    [event] = settled(get_engine(running_app.database_url), "facebook", f"leadgen:{leadgen_id}")
    assert event.status == "processed", event.error
    for name, width in (("dashboard-ads-desktop", 1366), ("dashboard-ads-narrow", 390)):
        app: AppPage = app_page_factory(viewport=(width, 900))
        page = app.login("admin", landing="")
        ads = page.locator("#dash-ads")
        expect(ads).to_contain_text("Tết 2027 – Căn hộ mẫu", timeout=15_000)
        expect(ads).to_contain_text("Form nhận báo giá")
        ads.scroll_into_view_if_needed()
        app.screenshot(name)
    fakes.GRAPH_ANSWERS.pop(leadgen_id, None)
