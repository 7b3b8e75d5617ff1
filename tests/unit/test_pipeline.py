"""The Lead pipeline on SQLite and PostgreSQL: stages with a meaning, the board's counts and cards,
moving a card (the same rule as editing the status), and a user refused on a Lead they cannot see."""

from __future__ import annotations

import zlib

import pytest
from sqlmodel import Session

from crm_app.db import write_session
from crm_app.i18n import UserError
from crm_app.models import Lead
from crm_app.services import conversion, leads, org, timeline
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.records import create
from crm_app.services.raw_leads.validation import ValidationFailed
from crm_app.services.reference_data import VISIBILITY_OWN


def new_lead(engine, owner: Actor, name: str) -> int:
    with write_session(engine) as s:
        # A valid mobile of its own per name, the same in every run (str hashes change per process,
        # and some of the numbers they gave, e.g. 0992…, are not valid Vietnamese mobiles).
        record = create(s, owner, {"first_name": name, "mobile": f"0912{zlib.crc32(name.encode()) % 10**6:06d}"})
        return conversion.convert_by_user(s, owner, record.id or 0).id or 0


def test_stages_carry_their_meaning(engine) -> None:
    with Session(engine) as s:
        assert leads.stages(s) == [("Mới", "open"), ("Đang liên hệ", "open"), ("Đủ điều kiện", "open"),
                                   ("Đã gửi báo giá", "open"), ("Thành công", "won"), ("Thất bại", "lost")]


def test_board_counts_and_moving_a_card(engine, people) -> None:
    h, d, admin = people["thuhuong"], people["dung.vu"], people["admin"]
    ids = [new_lead(engine, h, f"Lead {i}") for i in range(3)]
    other = new_lead(engine, d, "Của Dũng")
    with write_session(engine) as s:
        leads.move_stage(s, h, ids[0], "Đủ điều kiện")
        leads.move_stage(s, h, ids[1], "Thành công")
    with Session(engine) as s:
        columns = {c.stage: c for c in leads.board(s, h)}
        assert {k: c.count for k, c in columns.items()} == {"Mới": 2, "Đang liên hệ": 0, "Đủ điều kiện": 1,
                                                            "Đã gửi báo giá": 0, "Thành công": 1, "Thất bại": 0}
        assert [c["name"] for c in columns["Đủ điều kiện"].cards] == ["Lead 0"]
        assert columns["Thành công"].meaning == "won"
        assert timeline.lines(s, "lead", ids[0])[0].changes == ["Trạng thái: Mới → Đủ điều kiện"]
    with pytest.raises(UserError), write_session(engine) as s:
        leads.move_stage(s, h, ids[2], "Đang chăm sóc")  # a raw lead's status, not a stage
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=admin, value=VISIBILITY_OWN)
    with pytest.raises(UserError), write_session(engine) as s:
        leads.move_stage(s, h, other, "Thất bại")
    with Session(engine) as s:
        assert s.get(Lead, other).status == "Mới"  # type: ignore[union-attr]
        assert sum(c.count for c in leads.board(s, h)) == 3  # Dũng's Lead is not on her board


def test_editing_a_lead_validates_its_status_as_a_stage(engine, people) -> None:
    h = people["thuhuong"]
    lead_id = new_lead(engine, h, "Sửa")
    with write_session(engine) as s:
        leads.update_lead(s, h, lead_id, {"status": "Đã gửi báo giá"})
    with pytest.raises(ValidationFailed), write_session(engine) as s:
        leads.update_lead(s, h, lead_id, {"status": "Đang chăm sóc"})
    with Session(engine) as s:
        assert s.get(Lead, lead_id).status == "Đã gửi báo giá"  # type: ignore[union-attr]
