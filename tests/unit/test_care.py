"""Care activities on SQLite and PostgreSQL: calls, notes and tasks on the timeline, the status
move of a "Mới" raw lead, rights, Việc của tôi per user, reminders raised once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from crm_app.db import write_session
from crm_app.i18n import UserError
from crm_app.models import Activity, Notification, RawLead
from crm_app.services import activities, clock, conversion, org, timeline
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.raw_leads.query import ListQuery, list_page
from crm_app.services.raw_leads.records import create
from crm_app.services.reference_data import VISIBILITY_OWN


def new_raw_lead(engine, owner: Actor, name: str = "Khách", **values: str) -> int:
    with write_session(engine) as s:
        record = create(s, owner, {"first_name": name, **values})
        assert record.id is not None
        return record.id


def test_first_call_moves_a_new_raw_lead_to_in_care_and_both_are_on_the_timeline(engine, people) -> None:
    h = people["thuhuong"]
    rid = new_raw_lead(engine, h)
    with write_session(engine) as s:
        activities.log_call(s, h, "raw_lead", rid, outcome="Hẹn gọi lại", note="Gọi lại chiều thứ 6")
    with Session(engine) as s:
        record = s.get(RawLead, rid)
        assert record is not None and record.status == "Đang chăm sóc"
        assert record.last_contacted_at is not None
        lines = timeline.lines(s, "raw_lead", rid)
    assert [ln.action for ln in lines[:2]] == ["cập nhật", "đã gọi điện"]
    assert lines[0].changes == ["Trạng thái: Mới → Đang chăm sóc"]
    assert lines[1].changes == ["Kết quả: Hẹn gọi lại", "Gọi lại chiều thứ 6"]


def test_a_note_on_a_raw_lead_in_another_status_leaves_the_status(engine, people) -> None:
    h = people["thuhuong"]
    rid = new_raw_lead(engine, h, status="Không tiềm năng")
    with write_session(engine) as s:
        activities.add_note(s, h, "raw_lead", rid, note="Đã gặp ở hội chợ")
        activities.add_note(s, h, "raw_lead", rid, note="Gửi catalogue")
    with Session(engine) as s:
        assert s.get(RawLead, rid).status == "Không tiềm năng"  # type: ignore[union-attr]
        assert [ln.changes for ln in timeline.lines(s, "raw_lead", rid)[:2]] == [["Gửi catalogue"],
                                                                                 ["Đã gặp ở hội chợ"]]


def test_bad_input_is_refused_with_a_message_and_nothing_written(engine, people) -> None:
    h = people["thuhuong"]
    rid = new_raw_lead(engine, h)
    for call in (lambda s: activities.log_call(s, h, "raw_lead", rid, outcome="Bay màu"),
                 lambda s: activities.add_note(s, h, "raw_lead", rid, note="   "),
                 lambda s: activities.add_note(s, h, "raw_lead", rid, note="x" * 5000),
                 lambda s: activities.add_task(s, h, "raw_lead", rid, title="", due_at=datetime.now(UTC))):
        with pytest.raises(UserError), write_session(engine) as s:
            call(s)
    with pytest.raises(UserError, match="ngày hẹn"):
        activities.parse_due("31/02/2026", "09:00", clock.default_zone())
    with Session(engine) as s:
        assert s.exec(select(Activity)).all() == []
        assert s.get(RawLead, rid).status == "Mới"  # type: ignore[union-attr]


def test_a_user_cannot_log_on_a_record_they_cannot_edit(engine, people) -> None:
    h, d, admin = people["thuhuong"], people["dung.vu"], people["admin"]
    rid = new_raw_lead(engine, h)
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=admin, value=VISIBILITY_OWN)
    with pytest.raises(UserError, match="Không tìm thấy"), write_session(engine) as s:
        activities.log_call(s, d, "raw_lead", rid, outcome="Quan tâm")
    with pytest.raises(UserError), write_session(engine) as s:
        activities.add_task(s, d, "raw_lead", rid, title="Gọi", due_at=datetime.now(UTC))
    with write_session(engine) as s:  # the admin may
        activities.log_call(s, admin, "raw_lead", rid, outcome="Quan tâm")
    with Session(engine) as s:
        assert len(s.exec(select(Activity)).all()) == 1


def test_tasks_default_to_the_owner_and_show_under_the_assignees_tasks_only(engine, people) -> None:
    h, d, admin = people["thuhuong"], people["dung.vu"], people["admin"]
    rid = new_raw_lead(engine, h, "Bình")
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
    with write_session(engine) as s:
        activities.add_task(s, admin, "raw_lead", rid, title="Gọi lại", due_at=now - timedelta(hours=1))
        activities.add_task(s, admin, "raw_lead", rid, title="Gửi báo giá", due_at=now + timedelta(hours=5))
        activities.add_task(s, admin, "raw_lead", rid, title="Hẹn gặp", due_at=now + timedelta(days=2))
        activities.add_task(s, admin, "raw_lead", rid, title="Việc của Dũng", due_at=now, assignee_id=d.id)
    with Session(engine) as s:
        mine = activities.tasks_for(s, h, now=now)
        assert [(t.title, t.bucket, t.record) for t in mine] == [
            ("Gọi lại", "overdue", "Bình"), ("Gửi báo giá", "today", "Bình"), ("Hẹn gặp", "upcoming", "Bình")]
        assert mine[0].link == f"/raw-leads/{rid}"
        assert activities.open_task_count(s, h, now=now) == 2
        assert [t.title for t in activities.tasks_for(s, d, now=now + timedelta(minutes=1))] == ["Việc của Dũng"]
        assert [t.title for t in activities.tasks_for(s, admin, user_id=d.id, now=now)] == ["Việc của Dũng"]
        with pytest.raises(PermissionDenied):
            activities.tasks_for(s, h, user_id=d.id)
        assert s.get(RawLead, rid).next_task_at == now - timedelta(hours=1)  # type: ignore[union-attr]


def test_completing_a_task_removes_it_and_moves_the_next_task(engine, people) -> None:
    h, d, admin = people["thuhuong"], people["dung.vu"], people["admin"]
    rid = new_raw_lead(engine, h)
    due = datetime.now(UTC) + timedelta(hours=2)
    with write_session(engine) as s:
        first = activities.add_task(s, h, "raw_lead", rid, title="Một", due_at=due).id
        activities.add_task(s, h, "raw_lead", rid, title="Hai", due_at=due + timedelta(days=1))
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=admin, value=VISIBILITY_OWN)
    with pytest.raises(UserError), write_session(engine) as s:  # neither assignee nor allowed on the record
        activities.complete_task(s, d, first or 0)
    with write_session(engine) as s:
        activities.complete_task(s, h, first or 0)
        activities.complete_task(s, h, first or 0)  # a second click changes nothing
    with Session(engine) as s:
        assert [t.title for t in activities.tasks_for(s, h)] == ["Hai"]
        assert s.get(RawLead, rid).next_task_at == due + timedelta(days=1)  # type: ignore[union-attr]
        assert [ln.action for ln in timeline.lines(s, "raw_lead", rid)].count("đã hoàn thành việc") == 1


def test_activities_on_a_lead(engine, people) -> None:
    h = people["thuhuong"]
    rid = new_raw_lead(engine, h, mobile="0912345678")
    with write_session(engine) as s:
        lead = conversion.convert_by_user(s, h, rid)
        activities.log_call(s, h, "lead", lead.id or 0, outcome="Quan tâm")
        activities.add_task(s, h, "lead", lead.id or 0, title="Gửi hợp đồng", due_at=datetime.now(UTC))
    with Session(engine) as s:
        assert [ln.action for ln in timeline.lines(s, "lead", lead.id or 0)][:2] == ["đã tạo việc", "đã gọi điện"]
        assert activities.tasks_for(s, h)[0].link == f"/leads/{lead.id}"


def test_a_task_due_within_15_minutes_is_reminded_once(engine, people) -> None:
    h = people["thuhuong"]
    rid = new_raw_lead(engine, h, "Cường")
    now = datetime.now(UTC)
    with write_session(engine) as s:
        activities.add_task(s, h, "raw_lead", rid, title="Gọi ngay", due_at=now + timedelta(minutes=10))
        activities.add_task(s, h, "raw_lead", rid, title="Để sau", due_at=now + timedelta(minutes=40))
    with write_session(engine) as s:
        assert activities.remind_due_tasks(s, now) == 1
    with write_session(engine) as s:
        assert activities.remind_due_tasks(s, now + timedelta(minutes=1)) == 0
    with Session(engine) as s:
        [note] = activities.unread_notifications(s, h)
        assert "Gọi ngay" in note.message and "Cường" in note.message
        assert note.link == f"/raw-leads/{rid}"
    with write_session(engine) as s:
        assert activities.remind_due_tasks(s, now + timedelta(minutes=30)) == 1  # "Để sau" now due soon
        assert activities.mark_notifications_read(s, h) == 2
    with Session(engine) as s:
        assert activities.unread_notifications(s, h) == []
        assert len(s.exec(select(Notification).where(col(Notification.user_id) == h.id)).all()) == 2


def test_list_columns_sort_and_filters_not_contacted_and_overdue(engine, people) -> None:

    h = people["thuhuong"]
    called, planned, untouched = (new_raw_lead(engine, h, n) for n in ("Gọi rồi", "Có hẹn", "Chưa gì"))
    with write_session(engine) as s:
        activities.log_call(s, h, "raw_lead", called, outcome="Quan tâm")
        activities.add_task(s, h, "raw_lead", planned, title="Gọi lại", due_at=datetime.now(UTC) - timedelta(hours=1))
        activities.add_task(s, h, "raw_lead", called, title="Gửi giá", due_at=datetime.now(UTC) + timedelta(days=1))

    def names(**kw) -> list[str]:
        with Session(engine) as s:
            page = list_page(s, h, ListQuery(**kw), ["first_name", "last_contacted_at", "next_task_at"])
            return [r["first_name"] for r in page.rows]

    assert names(conditions=[{"field": "last_contacted_at", "op": "empty"}]) == ["Chưa gì", "Có hẹn"]
    assert names(conditions=[{"field": "next_task_at", "op": "past"}]) == ["Có hẹn"]
    assert names(sort="next_task_at", descending=False)[:2] == ["Có hẹn", "Gọi rồi"]
    assert names(sort="last_contacted_at", descending=True)[0] in ("Gọi rồi", "Chưa gì", "Có hẹn")
    with Session(engine) as s:
        row = list_page(s, h, ListQuery(conditions=[{"field": "first_name", "op": "eq",
                                                     "value": "Gọi rồi"}]),
                                                     ["first_name", "last_contacted_at", "next_task_at"]).rows[0]
    assert row["last_contacted_at"] != "" and row["next_task_at"] != ""
    with pytest.raises(UserError), Session(engine) as s:  # "past" only on the time columns
        list_page(s, h, ListQuery(conditions=[{"field": "first_name", "op": "past"}]), ["first_name"])
    del untouched
