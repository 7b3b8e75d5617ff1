"""Tìm trùng in Chromium: the same person three times (imported with a pre-2018 mobile, arrived
with +84 and an email, a Lead with that email in capitals: A and the Lead share nothing, B links them)
is one group; the admin merges it into the Lead picking a field from another
record, confirms, then undoes the merge and every record is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from crm_app.db import get_engine
from crm_app.services import conversion
from crm_app.services.raw_leads.records import create
from tests.apprunner import RunningApp
from tests.e2e.conftest import acting_as, open_as

pytestmark = pytest.mark.e2e


def test_find_merge_and_undo_a_group_of_three(app_page_factory, running_app: RunningApp) -> None:
    with acting_as(running_app, "thuhuong") as (s, owner):
        a = create(s, owner, {"first_name": "Hợp Nhất A", "mobile": "0169 765 4321",
                              "company": "Công ty Hợp Nhất"}).id
        b = create(s, owner, {"first_name": "Hợp Nhất B", "mobile": "+84 39 765 4321",
                              "email": "hop.nhat@e2e.vn"}).id
        c = create(s, owner, {"first_name": "Hợp Nhất C", "email": "HOP.NHAT@E2E.VN"})
        lead_id = conversion.convert_by_user(s, owner, c.id or 0).id
    app_page, page = open_as(app_page_factory, "admin", "/duplicates")
    group = page.locator(".dup-group").filter(has_text="0397654321")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("0397654321 · hop.nhat@e2e.vn")  # the keys that link the chain
    expect(group).to_contain_text("Hợp Nhất A")
    expect(group).to_contain_text("Hợp Nhất B")
    expect(group).to_contain_text("Hợp Nhất C")
    app_page.screenshot("duplicates-1366")

    narrow, small = open_as(app_page_factory, "admin", "/duplicates", (390, 844))
    expect(small.locator(".dup-group").filter(has_text="0397654321")).to_have_count(1)
    narrow.screenshot("duplicates-390")

    group.locator(".dup-merge").click()
    form = page.locator("#merge-form")
    expect(form).to_be_visible()
    expect(form.locator(".dup-chosen").filter(has_text="Công ty Hợp Nhất")).to_have_count(1)  # the non-empty one
    form.locator(".dup-cell").filter(has_text="Hợp Nhất A").click()
    expect(form.locator(".dup-chosen").filter(has_text="Hợp Nhất A")).to_have_count(1)
    app_page.screenshot("merge-form-1366")
    small.locator(".dup-group").filter(has_text="0397654321").locator(".dup-merge").click()
    expect(small.locator("#merge-form")).to_be_visible()
    narrow.screenshot("merge-form-390")
    small.locator("#dup-do-merge").click()
    expect(small.get_by_role("alertdialog")).to_contain_text(f"Gộp 3 bản ghi vào #{lead_id}?")
    expect(small.locator("#dup-confirm")).to_be_in_viewport()
    narrow.screenshot("merge-confirm-390")
    small.get_by_role("button", name="Huỷ").click()  # merged from the wide page below
    expect(small.get_by_role("alertdialog")).to_have_count(0)

    page.locator("#dup-do-merge").click()
    expect(page.get_by_role("alertdialog")).to_contain_text(f"Gộp 3 bản ghi vào #{lead_id}?")
    app_page.screenshot("merge-confirm-1366")
    page.locator("#dup-confirm").click()
    expect(page.get_by_text(f"Đã gộp 2 bản ghi vào #{lead_id}.")).to_be_visible()
    expect(page.locator(".dup-group").filter(has_text="0397654321")).to_have_count(0)
    engine = get_engine(running_app.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT first_name, company FROM leads WHERE id = :i"), {"i": lead_id}).one() == (
            "Hợp Nhất A", "Công ty Hợp Nhất")
        merged = conn.execute(text("SELECT merged_into FROM raw_leads WHERE id IN (:a, :b)"), {"a": a, "b": b})
        assert {r[0] for r in merged} == {f"lead:{lead_id}"}
    app_page.screenshot("merged-1366")
    small.goto(running_app.base_url + f"/raw-leads/{a}")
    expect(small.locator("#merged-link")).to_have_text(f"Đã gộp vào #{lead_id}")
    expect(small.locator("#care-panel")).to_have_count(0)  # care goes on the record kept
    narrow.screenshot("merged-record-390")

    page.locator("#recent-merges .dup-undo").first.click()
    expect(page.get_by_text("Đã hoàn tác lần gộp")).to_be_visible()
    expect(page.locator(".dup-group").filter(has_text="0397654321")).to_have_count(1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT first_name, company FROM leads WHERE id = :i"), {"i": lead_id}).one() == (
            "Hợp Nhất C", None)
        restored = conn.execute(text("SELECT merged_into FROM raw_leads WHERE id IN (:a, :b)"), {"a": a, "b": b})
        assert {r[0] for r in restored} == {None}
