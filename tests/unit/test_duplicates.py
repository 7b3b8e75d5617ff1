"""Tìm trùng on SQLite and PostgreSQL: groups across raw leads and Leads and phone forms, merge with
field choices moving every link, undo restoring exactly, and a user refused where they cannot edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from crm_app.db import write_session
from crm_app.i18n import UserError
from crm_app.models import Activity, AuditEntry, ChannelEvent, Lead, RawLead, Ticket
from crm_app.services import activities, conversion, duplicates, leads, org
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.query import ListQuery, list_page
from crm_app.services.raw_leads.records import create as create_raw_lead
from crm_app.services.reference_data import VISIBILITY_OWN


def create(engine, owner: Actor, **values: str) -> int:
    with write_session(engine) as s:
        record = create_raw_lead(s, owner, values)
        return record.id or 0


def snapshot(engine) -> dict[str, Any]:
    """Every row a merge may touch, as plain tuples (what undo must give back exactly)."""
    out = {}
    with engine.connect() as conn:
        for table in ("raw_leads", "leads", "activities", "tickets", "channel_events"):
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
        out["audit"] = sorted(tuple(r) for r in conn.execute(text(
            "SELECT id, entity, entity_id, action FROM audit_entries "
            "WHERE action NOT IN ('duplicates_merged', 'merge_undone') AND entity <> 'merge'")))
    return out


@pytest.fixture
def trio(engine, people) -> dict[str, int]:
    """One person three times: imported with an old 11-digit mobile, arrived by Zalo with +84, typed
    as a Lead with the email in capitals; and an unrelated pair sharing an email."""
    h, d = people["thuhuong"], people["dung.vu"]
    a = create(engine, h, first_name="Lan", last_name="Phạm", mobile="0168 123 4567", company="Minh Phát")
    b = create(engine, d, first_name="Lan", mobile="+84 38 123 4567", email="lan.pham@example.vn")
    c_raw = create(engine, h, first_name="Phạm Lan", email="placeholder@example.vn")
    with write_session(engine) as s:
        lead = conversion.convert_by_user(s, h, c_raw)
        lead.email, lead.email_key, lead.title = "LAN.PHAM@example.vn", "lan.pham@example.vn", "Giám đốc"
        lead.mobile = "+84381234567"
        s.add(lead)
        s.get(RawLead, b).zalo_user_id = "zalo-777"  # type: ignore[union-attr]
    create(engine, h, first_name="X", email="chung@example.vn")
    create(engine, d, first_name="Y", email="Chung@Example.vn")
    create(engine, h, first_name="Z", mobile="0909 000 111")  # alone
    return {"a": a, "b": b, "lead": lead.id or 0, "c_raw": c_raw}


def test_groups_across_modules_and_phone_forms_largest_first(engine, people, trio) -> None:
    with Session(engine) as s:
        page = duplicates.find_groups(s, people["admin"])
    assert page.total == 2
    first, second = page.groups
    assert first.size == 3 and sorted(first.refs) == sorted(
        [f"raw_lead:{trio['a']}", f"raw_lead:{trio['b']}", f"lead:{trio['lead']}"])
    assert first.key == "0381234567"  # the pre-2018 0168 prefix is today's 038
    assert second.size == 2 and second.key == "chung@example.vn"
    assert {m.name for m in second.members} == {"X", "Y"}


def lead_from(engine, owner: Actor, **values: str) -> int:
    """A Lead holding `values`, as typed (a raw lead converted, then edited as a user would)."""
    raw = create(engine, owner, first_name=values.pop("first_name", "Lead"), email="tam@example.invalid")
    with write_session(engine) as s:
        lead = conversion.convert_by_user(s, owner, raw)
        return leads.update_lead(s, owner, lead.id or 0, {"email": "", **values}).id or 0


def test_a_chain_linked_by_a_phone_then_an_email_is_one_group(engine, people) -> None:
    """A shares only a phone with B, B only an email with C (a Lead): A and C share nothing, yet the
    three are one person — one group of three, not two pairs."""
    h = people["thuhuong"]
    a = create(engine, h, first_name="An", mobile="0912 345 678")
    b = create(engine, h, first_name="An", phone="+84 912 345 678", email="an.nguyen@example.vn")
    c = lead_from(engine, h, first_name="Nguyễn An", email="AN.NGUYEN@Example.vn", mobile="0987 654 321")
    create(engine, h, first_name="Khác", mobile="0987 000 111")  # alone
    with Session(engine) as s:
        page = duplicates.find_groups(s, people["admin"])
    assert page.total == 1
    (group,) = page.groups
    assert group.size == 3
    assert sorted(group.refs) == sorted([f"raw_lead:{a}", f"raw_lead:{b}", f"lead:{c}"])
    assert group.refs[0] == f"lead:{c}"  # the Lead first: the record to keep
    assert sorted(group.keys) == ["0912345678", "an.nguyen@example.vn"]


def test_every_phone_form_is_one_key_and_chains_join_groups(engine, people) -> None:
    """0…, 84…, +84… and the pre-2018 11-digit prefix are the same number; two pairs joined by a third
    record sharing one key with each become one group, listed before a smaller one."""
    h = people["thuhuong"]
    forms = [create(engine, h, first_name=f"F{i}", mobile=m)
             for i, m in enumerate(["0123 456 7890", "083 456 7890", "84834567890", "+84 83 456 7890"])]
    x = create(engine, h, first_name="X", mobile="0909 111 222", email="x@example.vn")
    y = create(engine, h, first_name="Y", phone="84 909 111 222")
    z = lead_from(engine, h, first_name="Z", email="X@EXAMPLE.VN", phone="0123 456 7890")  # joins both
    p1 = create(engine, h, first_name="P", email="p@example.vn")
    p2 = create(engine, h, first_name="Q", email="P@example.vn")
    with Session(engine) as s:
        page = duplicates.find_groups(s, people["admin"])
    assert page.total == 2
    big, small = page.groups
    assert sorted(big.refs) == sorted([*(f"raw_lead:{i}" for i in (*forms, x, y)), f"lead:{z}"])
    assert big.key == "0834567890" and big.size == 7
    assert sorted(small.refs) == sorted([f"raw_lead:{p1}", f"raw_lead:{p2}"])
    with Session(engine) as s:  # the second page holds the smaller group
        second = duplicates.find_groups(s, people["admin"], page=2, page_size=1)
    assert second.total == 2 and [g.refs for g in second.groups] == [small.refs]


def test_a_user_sees_only_groups_of_records_they_may_edit(engine, people, trio) -> None:
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=people["admin"], value=VISIBILITY_OWN)
    with Session(engine) as s:
        page = duplicates.find_groups(s, people["thuhuong"])
    # thuhuong owns a and the Lead (phone group of 2) but only X of the email pair.
    assert [sorted(g.refs) for g in page.groups] == [sorted([f"raw_lead:{trio['a']}", f"lead:{trio['lead']}"])]
    with pytest.raises(UserError), write_session(engine) as s:
        duplicates.merge(s, people["thuhuong"], [f"raw_lead:{trio['b']}"], kept=f"lead:{trio['lead']}", choices={})


def test_merge_with_field_choices_moves_everything_then_undo_restores_exactly(engine, people, trio) -> None:
    h, admin = people["thuhuong"], people["admin"]
    a, b, lead = trio["a"], trio["b"], trio["lead"]
    with write_session(engine) as s:
        activities.log_call(s, h, "raw_lead", a, outcome="Quan tâm", note="gọi lần 1")
        activities.add_task(s, h, "raw_lead", b, title="Gọi lại", due_at=datetime.now(UTC) + timedelta(days=1))
        s.add(Ticket(subject="Hỏi giá", channel="Zalo OA", raw_lead_id=b))
        s.add(ChannelEvent(channel="zalo", event_key="ev-1", body=b"{}", raw_lead_id=b))
    before = snapshot(engine)
    refs = [f"raw_lead:{a}", f"raw_lead:{b}", f"lead:{lead}"]
    with Session(engine) as s:
        choices = {c.key: c for c in duplicates.field_choices(s, admin, refs, f"lead:{lead}")}
    assert choices["company"].values[choices["company"].chosen] == "Minh Phát"  # the non-empty one
    assert choices["email"].values[choices["email"].chosen] == "LAN.PHAM@example.vn"  # the kept one's
    with write_session(engine) as s:
        merge = duplicates.merge(s, admin, refs, kept=f"lead:{lead}",
                                 choices={"first_name": f"raw_lead:{a}", "last_name": f"raw_lead:{a}",
                                          "email": f"raw_lead:{b}"})
        merge_id = merge.id or 0
    with Session(engine) as s:
        kept = s.get(Lead, lead)
        assert kept is not None
        assert (kept.first_name, kept.last_name, kept.email, kept.company, kept.title, kept.zalo_user_id) == (
            "Lan", "Phạm", "lan.pham@example.vn", "Minh Phát", "Giám đốc", "zalo-777")
        assert kept.last_contacted_at is not None and kept.next_task_at is not None
        ra, rb = s.get(RawLead, a), s.get(RawLead, b)
        assert ra.merged_into == rb.merged_into == f"lead:{lead}"  # type: ignore[union-attr]
        assert rb.status == "Đã chuyển đổi" and rb.converted_lead_id == lead  # type: ignore[union-attr]
        assert rb.zalo_user_id is None  # type: ignore[union-attr]
        assert {(x.entity, x.entity_id) for x in s.exec(select(Activity))} == {("lead", lead)}
        assert s.exec(select(Ticket)).one().lead_id == lead
        assert s.exec(select(ChannelEvent)).one().lead_id == lead
        moved = s.exec(select(AuditEntry).where(AuditEntry.entity == "lead", AuditEntry.entity_id == lead)).all()
        assert {"call", "task", "duplicates_merged"} <= {e.action for e in moved}
        assert duplicates.find_groups(s, admin).total == 1  # only the email pair is left
        listed = list_page(s, admin, ListQuery(page_size=100), ["first_name"]).rows
        assert str(a) not in {r["id"] for r in listed}
    with pytest.raises(UserError), write_session(engine) as s:  # merged records take no more care
        activities.add_note(s, h, "raw_lead", a, note="x")
    with write_session(engine) as s:
        duplicates.undo_merge(s, admin, merge_id)
    assert snapshot(engine) == before
    with pytest.raises(UserError, match="đã được hoàn tác"), write_session(engine) as s:
        duplicates.undo_merge(s, admin, merge_id)
    with Session(engine) as s:
        assert duplicates.find_groups(s, admin).total == 2


def test_a_lead_cannot_be_merged_into_a_raw_lead_and_bad_refs_are_refused(engine, people, trio) -> None:
    admin = people["admin"]
    for refs, kept in (([f"lead:{trio['lead']}"], f"raw_lead:{trio['a']}"),
                       ([f"raw_lead:{trio['a']}"], f"raw_lead:{trio['a']}"),
                       (["raw_lead:abc"], f"raw_lead:{trio['a']}"),
                       (["tickets:1"], f"raw_lead:{trio['a']}")):
        with pytest.raises(UserError), write_session(engine) as s:
            duplicates.merge(s, admin, refs, kept=kept, choices={})
    with Session(engine) as s:
        assert s.get(RawLead, trio["a"]).merged_into is None  # type: ignore[union-attr]


def test_a_channel_matching_a_merged_record_lands_on_the_record_kept(engine, people) -> None:
    from crm_app.services import sync_rules
    from crm_app.services.incoming import IncomingPerson

    admin = people["admin"]
    old = create(engine, admin, first_name="Cũ", mobile="0912 111 222")
    kept = create(engine, admin, first_name="Giữ", email="giu@example.vn")
    with write_session(engine) as s:
        duplicates.merge(s, admin, [f"raw_lead:{old}"], kept=f"raw_lead:{kept}",
                         choices={"mobile": f"raw_lead:{kept}"})  # the kept record keeps no mobile
    with write_session(engine) as s:
        sync_rules.apply_incoming(s, IncomingPerson(channel="Webform", full_name="Giữ", phone="0912111222",
                                                    email="giu@example.vn"), source="channel:test")
    with Session(engine) as s:
        assert s.get(RawLead, old).merged_into == f"raw_lead:{kept}"  # type: ignore[union-attr]
        touched = {(e.entity, e.entity_id) for e in s.exec(select(AuditEntry).where(
            AuditEntry.source == "channel:test"))}
        assert ("raw_lead", kept) in touched and ("raw_lead", old) not in touched
