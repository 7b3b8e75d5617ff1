"""Raw-lead State handlers called directly, as any client could, by users without the right."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from crm_app.db import write_session
from crm_app.models import RawLead, User
from crm_app.services import org
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from crm_app.services.raw_leads import query
from crm_app.services.raw_leads.query import ListQuery, list_page
from crm_app.services.raw_leads.records import create
from crm_app.state.raw_lead_detail import RawLeadDetailState
from crm_app.state.raw_lead_form import RawLeadFormState
from crm_app.state.raw_leads import RawLeadListState
from tests.statekit import call, state_as, token_for, using_engine


@pytest.fixture
def setup(sqlite_engine) -> dict[str, int]:
    with write_session(sqlite_engine) as s:
        ids = ensure_demo_users(session=s)
        admin = Actor.of(s.get(User, ids["admin"]))
        dung = Actor.of(s.get(User, ids["dung.vu"]))
        record = create(s, dung, {"first_name": "Của Dũng", "mobile": "0912111222"})
        org.set_visibility(session=s, actor=admin, value="own")
        ids["record"] = record.id
    return ids


def count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(RawLead)).one()


def test_user_cannot_delete_assign_or_edit_others_records(sqlite_engine, setup) -> None:
    rid = str(setup["record"])
    with using_engine(sqlite_engine):
        token = token_for(sqlite_engine, "thuhuong")
        listing = state_as(RawLeadListState, token)
        listing.selected = [rid]
        call(listing, "bulk_delete")
        call(listing, "bulk_assign", "thuhuong")
        call(listing, "bulk_status", "Không tiềm năng")
        detail = state_as(RawLeadDetailState, token)
        detail.record_id = setup["record"]
        call(detail, "delete")
        call(detail, "convert")
        form = state_as(RawLeadFormState, token)
        form.record_id = setup["record"]
        call(form, "save", {"first_name": "Sửa trộm", "assigned_to": "thuhuong"})
        assert form.form_error != ""
        call(listing, "load")
        assert listing.rows == []  # "own" mode: she does not even see it
    assert count(sqlite_engine) == 1
    with Session(sqlite_engine) as s:
        record = s.get(RawLead, setup["record"])
        assert record.first_name == "Của Dũng" and record.assigned_to_id == setup["dung.vu"]
        assert record.status == "Mới" and record.converted_lead_id is None


def test_owner_edits_but_only_admin_deletes(sqlite_engine, setup) -> None:
    rid = setup["record"]
    with using_engine(sqlite_engine):
        form = state_as(RawLeadFormState, token_for(sqlite_engine, "dung.vu"))
        form.record_id = rid
        call(form, "save", {"first_name": "Đã sửa", "assigned_to": "dung.vu"})
        assert form.errors == {} and form.form_error == ""
        detail = state_as(RawLeadDetailState, token_for(sqlite_engine, "dung.vu"))
        detail.record_id = rid
        call(detail, "delete")
        assert count(sqlite_engine) == 1
        admin_detail = state_as(RawLeadDetailState, token_for(sqlite_engine, "admin"))
        admin_detail.record_id = rid
        call(admin_detail, "delete")
    assert count(sqlite_engine) == 0


def test_list_total_is_capped_instead_of_counting_the_whole_table(sqlite_engine, setup, monkeypatch) -> None:
    monkeypatch.setattr(query, "COUNT_CAP", 2)  # read by query.list_page
    with write_session(sqlite_engine) as s:
        admin = Actor.of(s.get(User, setup["admin"]))
        for name in ("Một", "Hai", "Ba"):
            create(s, admin, {"first_name": name})
    with Session(sqlite_engine) as s:
        page = list_page(s, admin, ListQuery(page_size=25), ["first_name"])
    assert (page.total, page.more, len(page.rows)) == (2, True, 4)


def test_both_detail_pages_name_and_link_the_record_they_were_merged_into() -> None:
    from crm_app.state.leads import LeadDetailState

    for cls in (RawLeadDetailState, LeadDetailState):
        detail = state_as(cls, "no-token")
        assert (detail.merged_label, detail.merged_link) == ("", "")
        detail.merged_into = "lead:12"
        assert (detail.merged_label, detail.merged_link) == ("Đã gộp vào #12", "/leads/12")
        detail.merged_into = "raw_lead:7"
        assert detail.merged_link == "/raw-leads/7"
