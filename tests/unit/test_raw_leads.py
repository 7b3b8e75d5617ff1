"""Raw-lead rules on SQLite and PostgreSQL: validation, search, filters, access, bulk, convert."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from crm_app.db import write_session
from crm_app.fields import STATUS_CONVERTED
from crm_app.i18n import UserError
from crm_app.models import AuditEntry, Lead, RawLead
from crm_app.services import conversion, list_settings, org
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.raw_leads.export import export_xlsx
from crm_app.services.raw_leads.query import ListQuery, list_page
from crm_app.services.raw_leads.records import (
    bulk_assign,
    bulk_status,
    create,
    delete_records,
    find_duplicates,
    update_record,
)
from crm_app.services.raw_leads.validation import ValidationFailed
from tests.people import actor


@pytest.fixture
def people(engine, demo_users) -> dict[str, Actor]:
    with write_session(engine) as s:
        who = {u: actor(s, u) for u in ("admin", "thuhuong", "dung.vu")}
        h, d = who["thuhuong"], who["dung.vu"]
        create(s, h, {"last_name": "Nguyễn Văn", "first_name": "A",
                      "mobile": "0912 345 678", "email": "A.Nguyen@Example.com",
                      "lead_source": "Website", "company": "Công ty Minh Phát"})
        create(s, h, {"last_name": "Trần Thị", "first_name": "Bình",
                      "mobile": "+84987654321", "lead_source": "Facebook"})
        create(s, d, {"last_name": "Lê", "first_name": "Cường", "phone": "024 3823 4567",
                      "lead_source": "Facebook"})
    return who


def search(engine, who: Actor, **kw) -> list[str]:
    with Session(engine) as s:
        page = list_page(s, who, ListQuery(**kw), ["first_name", "mobile"])
        return [r["first_name"] for r in page.rows]


def test_required_and_invalid_fields_are_each_reported(engine, people) -> None:
    with pytest.raises(ValidationFailed) as err, write_session(engine) as s:
        create(s, people["thuhuong"], {"first_name": " ", "mobile": "12345",
                                       "email": "not-an-email", "birthday": "31/02/1990",
                                       "salutation": "Ngài"})
    assert err.value.errors == {
        "first_name": "«Tên» là bắt buộc.",
        "mobile": "«Di động» không phải số điện thoại Việt Nam hợp lệ.",
        "email": "«Email» không phải địa chỉ email hợp lệ.",
        "birthday": "«Ngày sinh» không phải ngày hợp lệ (dd/mm/yyyy).",
        "salutation": "Giá trị của «Danh xưng» không có trong danh sách.",
    }
    with Session(engine) as s:
        assert len(s.exec(select(RawLead)).all()) == 3


def test_create_normalises_and_defaults(engine, people) -> None:
    with Session(engine) as s:
        a = s.exec(select(RawLead).where(RawLead.first_name == "A")).one()
        assert a.mobile == "+84912345678"
        assert a.email_key == "a.nguyen@example.com"
        assert a.status == "Mới" and a.input_source == "Thủ công"
        assert a.assigned_to_id == people["thuhuong"].id
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity_id == a.id)).first()
        assert entry is not None and entry.action == "created"


@pytest.mark.parametrize(("text", "expected"), [
    ("nguyen van a", ["A"]), ("NGUYỄN", ["A"]), ("0912 345 678", ["A"]), ("+84912345678", ["A"]),
    ("84912345678", ["A"]), ("a.nguyen@example", ["A"]), ("minh phat", ["A"]),
    ("tran binh", ["Bình"]), ("100%", []), ("guyen", ["A"]), ("a_nguyen", []),
])
def test_quick_search_ignores_accents_case_and_phone_format(engine, people, text, expected) -> None:
    assert search(engine, people["admin"], search=text) == expected


def test_filters_combine(engine, people) -> None:
    admin = people["admin"]
    fb = {"field": "lead_source", "op": "eq", "value": "Facebook"}
    assert sorted(search(engine, admin, conditions=[fb])) == ["Bình", "Cường"]
    no_mobile = {"field": "mobile", "op": "empty"}
    assert search(engine, admin, conditions=[fb, no_mobile]) == ["Cường"]
    among = {"field": "lead_source", "op": "in", "value": ["Website", "Zalo"]}
    assert search(engine, admin, conditions=[among]) == ["A"]
    contains = {"field": "company", "op": "contains", "value": "Minh"}
    assert search(engine, admin, conditions=[contains]) == ["A"]
    today = {"field": "created_at", "op": "between", "value": ["01/01/2020", ""]}
    assert len(search(engine, admin, conditions=[today])) == 3
    with pytest.raises(UserError):
        search(engine, admin, conditions=[{"field": "password_hash", "op": "eq", "value": "x"}])


def test_sort_uses_an_allow_list(engine, people) -> None:
    assert search(engine, people["admin"], sort="first_name", descending=False) == ["A", "Bình", "Cường"]
    assert search(engine, people["admin"], sort="id; DROP TABLE users", descending=False)


def test_visibility_own_limits_users_not_admins(engine, people) -> None:
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=people["admin"], value="own")
    assert sorted(search(engine, people["thuhuong"])) == ["A", "Bình"]
    assert search(engine, people["dung.vu"]) == ["Cường"]
    assert len(search(engine, people["admin"])) == 3
    with Session(engine) as s:
        cuong = s.exec(select(RawLead).where(RawLead.first_name == "Cường")).one()
    with pytest.raises(UserError), write_session(engine) as s:
        update_record(s, people["thuhuong"], cuong.id, {"first_name": "Hacked"})
    with write_session(engine) as s:
        org.set_visibility(session=s, actor=people["admin"], value="all")
    assert len(search(engine, people["thuhuong"])) == 3


def test_bulk_actions_on_others_records_are_admin_only(engine, people) -> None:
    with Session(engine) as s:
        ids = [r.id for r in s.exec(select(RawLead)).all()]
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        bulk_assign(s, people["thuhuong"], ids, "thuhuong")
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        delete_records(s, people["thuhuong"], ids)
    with write_session(engine) as s:
        assert bulk_assign(s, people["admin"], ids, "dung.vu") == 3
        assert bulk_status(s, people["admin"], ids, "Đang chăm sóc") == 3
    with Session(engine) as s:
        rows = s.exec(select(RawLead)).all()
        assert {r.assigned_to_id for r in rows} == {people["dung.vu"].id}
        assert {r.status for r in rows} == {"Đang chăm sóc"}
    with write_session(engine) as s:
        assert delete_records(s, people["admin"], ids[:1]) == 1
    with Session(engine) as s:
        assert len(s.exec(select(RawLead)).all()) == 2


def test_update_records_each_change_on_the_timeline(engine, people) -> None:
    with Session(engine) as s:
        a = s.exec(select(RawLead).where(RawLead.first_name == "A")).one()
    with write_session(engine) as s:
        update_record(s, people["thuhuong"], a.id, {"company": "Công ty Mới",
                                                              "mobile": "0912345678"})
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity_id == a.id,
                                                  AuditEntry.action == "updated")).all()
        assert [e.changes for e in entries] == [{"company": ["Công ty Minh Phát", "Công ty Mới"]}]


def test_convert_creates_a_lead_linked_both_ways(engine, people) -> None:
    with Session(engine) as s:
        a = s.exec(select(RawLead).where(RawLead.first_name == "A")).one()
    with write_session(engine) as s:
        lead = conversion.convert_by_user(s, people["thuhuong"], a.id)
        again = conversion.convert_by_user(s, people["thuhuong"], a.id)
        assert again.id == lead.id
    with Session(engine) as s:
        a = s.get(RawLead, a.id)
        lead = s.get(Lead, a.converted_lead_id)
        assert a.status == STATUS_CONVERTED and lead.raw_lead_id == a.id
        assert lead.mobile == "+84912345678" and lead.first_name == "A"
        assert len(s.exec(select(Lead)).all()) == 1


def test_duplicate_warning_finds_same_mobile_in_any_format(engine, people) -> None:
    with Session(engine) as s:
        found = find_duplicates(s, people["thuhuong"], mobile="84912345678")
        assert [d["name"] for d in found] == ["Nguyễn Văn A"]
        assert find_duplicates(s, people["thuhuong"], email="a.nguyen@EXAMPLE.com")


def test_saved_filters_personal_and_shared(engine, people) -> None:
    cond = [{"field": "lead_source", "op": "eq", "value": "Facebook"}]
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        list_settings.save_filter(s, people["thuhuong"], "FB", cond, shared=True)
    with write_session(engine) as s:
        list_settings.save_filter(s, people["thuhuong"], "FB của tôi", cond, shared=False)
    with Session(engine) as s:
        mine = [f.name for f in list_settings.list_filters(s, people["thuhuong"])]
        theirs = [f.name for f in list_settings.list_filters(s, people["dung.vu"])]
    assert mine == ["Chưa liên hệ", "Có việc quá hạn", "Từ Chatbot", "Từ Zalo OA", "FB của tôi"]
    assert theirs == ["Chưa liên hệ", "Có việc quá hạn", "Từ Chatbot", "Từ Zalo OA"]


def test_saved_filter_renamed_and_deleted_by_whom_may(engine, people) -> None:
    cond = [{"field": "lead_source", "op": "eq", "value": "Facebook"}]
    with write_session(engine) as s:
        mine = list_settings.save_filter(s, people["thuhuong"], "FB", cond, shared=False).id or 0
        shared = list_settings.save_filter(s, people["admin"], "FB chung", cond, shared=True).id or 0
    with pytest.raises(UserError), write_session(engine) as s:
        list_settings.rename_filter(s, people["dung.vu"], mine, "Của người khác")  # not theirs: not found
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        list_settings.rename_filter(s, people["thuhuong"], shared, "Đổi tên chung")
    with pytest.raises(UserError), write_session(engine) as s:
        list_settings.rename_filter(s, people["thuhuong"], mine, "   ")
    with write_session(engine) as s:
        list_settings.rename_filter(s, people["thuhuong"], mine, "  Khách Facebook  ")
        list_settings.rename_filter(s, people["admin"], shared, "Facebook (chung)")
    with Session(engine) as s:
        names = [f.name for f in list_settings.list_filters(s, people["thuhuong"])]
    assert "Khách Facebook" in names and "Facebook (chung)" in names and "FB" not in names
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        list_settings.delete_filter(s, people["thuhuong"], shared)
    with write_session(engine) as s:
        list_settings.delete_filter(s, people["thuhuong"], mine)
    with Session(engine) as s:
        assert "Khách Facebook" not in [f.name for f in list_settings.list_filters(s, people["thuhuong"])]


def test_columns_user_own_then_admin_default(engine, people) -> None:
    with write_session(engine) as s:
        list_settings.save_columns(s, people["thuhuong"], ["first_name", "zalo_user_id"], as_default=False)
        with pytest.raises(PermissionDenied):
            list_settings.save_columns(s, people["thuhuong"], ["first_name"], as_default=True)
        list_settings.save_columns(s, people["admin"], ["first_name", "input_source", "bogus"],
                                   as_default=True)
    with Session(engine) as s:
        assert list_settings.columns_for(s, people["thuhuong"]) == ["first_name", "zalo_user_id"]
        assert list_settings.columns_for(s, people["dung.vu"]) == ["first_name", "input_source"]


def test_export_has_labels_and_display_phones(engine, people) -> None:
    with write_session(engine) as s:
        create(s, people["thuhuong"], {"first_name": "=HYPERLINK(\"x\")"})
    with Session(engine) as s:
        data = export_xlsx(s, people["admin"])
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("ID", "Danh xưng", "Họ", "Tên")
    mobile_col = header.index("Di động")
    assert "0912345678" in [r[mobile_col] for r in rows[1:]]
    names = [r[header.index("Tên")] for r in rows[1:]]
    assert "'=HYPERLINK(\"x\")" in names
    assert len(rows) == 5
