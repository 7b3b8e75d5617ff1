"""The Lead pipeline in Chromium: the board shows one column per stage with its count; "Chuyển sang"
on a card moves the Lead, so does dragging it onto another column, and the list view is still there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import text

from crm_app.db import get_engine
from crm_app.services import conversion
from crm_app.services.raw_leads.records import create
from tests.apprunner import RunningApp
from tests.e2e.conftest import acting_as, open_as

pytestmark = pytest.mark.e2e


def drag(page: Page, source: Locator, target: Locator) -> None:
    """A mouse drag as a person makes it: press on the card's top edge (not on its link or select), move
    in steps (the browser starts a drag only after the pointer has moved), release over the column."""
    start, end = source.bounding_box(), target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 6)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + min(60, end["height"] / 2), steps=12)
    page.mouse.up()


def test_board_moves_a_lead_to_another_stage(app_page_factory, running_app: RunningApp) -> None:
    with acting_as(running_app, "thuhuong") as (s, owner):
        record = create(s, owner, {"first_name": "Giai Đoạn", "last_name": "Bảng",
                                   "mobile": "0916 135 799"})
        lead_id = conversion.convert_by_user(s, owner, record.id or 0).id
    app_page, page = open_as(app_page_factory, "thuhuong", "/leads")
    page.locator("#lead-view").get_by_role("radio", name="Bảng").click()
    board = page.locator("#lead-board")
    for stage in ("Mới", "Đang liên hệ", "Đủ điều kiện", "Đã gửi báo giá", "Thành công", "Thất bại"):
        expect(board.locator(".board-column").filter(has_text=stage).first).to_be_visible()
    new_column = board.locator(".board-column").filter(has_text="Mới").first
    card = new_column.locator(".board-card").filter(has_text="Bảng Giai Đoạn")
    expect(card).to_have_count(1)
    app_page.screenshot("pipeline-1366")
    card.locator(".card-move").click()
    page.get_by_role("option", name="Đủ điều kiện", exact=True).click()
    expect(page.get_by_text("Đã chuyển sang «Đủ điều kiện».")).to_be_visible()
    qualified = board.locator(".board-column").filter(has_text="Đủ điều kiện")
    expect(qualified.locator(".board-card").filter(has_text="Bảng Giai Đoạn")).to_have_count(1)
    engine = get_engine(running_app.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM leads WHERE id = :i"), {"i": lead_id}).scalar() == "Đủ điều kiện"
    # Drag and drop: the card dragged onto "Thành công" lands there.
    won = board.locator(".board-column").filter(has_text="Thành công")
    drag(page, qualified.locator(".board-card").filter(has_text="Bảng Giai Đoạn"), won)
    expect(page.get_by_text("Đã chuyển sang «Thành công».")).to_be_visible()
    expect(won.locator(".board-card").filter(has_text="Bảng Giai Đoạn")).to_have_count(1)
    expect(qualified.locator(".board-card").filter(has_text="Bảng Giai Đoạn")).to_have_count(0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM leads WHERE id = :i"), {"i": lead_id}).scalar() == "Thành công"
    app_page.screenshot("pipeline-dragged-1366")

    narrow, small = open_as(app_page_factory, "thuhuong", "/leads", (390, 844))
    small.locator("#lead-view").get_by_role("radio", name="Bảng").click()
    expect(small.locator("#lead-board .board-column").first).to_be_visible()
    narrow.screenshot("pipeline-390")
    small.locator("#lead-view").get_by_role("radio", name="Danh sách").click()
    expect(small.get_by_role("link", name="Bảng")).to_be_visible()
