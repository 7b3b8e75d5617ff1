"""One parser per field type: the same text through the form, the import, a channel and the REST
API is stored as the same value (issue 19, "Parsing a value")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm_app.db import read_session, write_session
from crm_app.fields import BUILTIN_BY_KEY, raw_lead_fields
from crm_app.models import CustomField, ImportRowIssue, PicklistValue, RawLead
from crm_app.services import api_intake, field_values
from crm_app.services.incoming import IncomingPerson
from crm_app.services.raw_leads.display import display_values, form_values
from crm_app.services.raw_leads.records import create
from crm_app.services.raw_leads.validation import ValidationFailed
from crm_app.services.sync_rules import apply_incoming
from tests.fixtures.importer import actor, data_dir, quick_import, write_xlsx

__all__ = ["data_dir"]


def issues(engine: Engine, kind: str) -> list[ImportRowIssue]:
    with read_session(engine) as s:
        return list(s.exec(select(ImportRowIssue).where(ImportRowIssue.kind == kind).order_by(ImportRowIssue.id)))


@pytest.mark.parametrize("text", ["06/05/2024", "6-5-2024", "06.05.2024", "2024-05-06", "2024/05/06",
                                  "2024.5.6", " 06/05/2024 "])
def test_every_documented_date_spelling_is_one_date(text: str) -> None:
    assert field_values.parse_date(text) == dt.date(2024, 5, 6)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e5", "1_000", "1.000.000", "12abc", "Infinity"])
def test_not_a_number(text: str) -> None:
    assert not field_values.is_number(text)


@pytest.mark.parametrize(("text", "stored"), [
    ("hoasen.vn", "https://hoasen.vn"), ("www.hoasen.vn/lien-he", "https://www.hoasen.vn/lien-he"),
    ("http://hoasen.vn", "http://hoasen.vn"), ("HTTPS://Hoasen.vn:8443/?a=1", "HTTPS://Hoasen.vn:8443/?a=1"),
    ("hoasen", None), ("hoa sen.vn", None), ("javascript:alert(1)", None), ("ftp://hoasen.vn", None)])
def test_websites_get_their_scheme(text: str, stored: str | None) -> None:
    assert field_values.parse_url(text) == stored


def _custom_fields(engine: Engine) -> None:
    with write_session(engine) as s:
        s.add(CustomField(key="ngay_hen", label_vi="Ngày hẹn", label_en="Appointment", field_type="date"))
        s.add(CustomField(key="so_luong", label_vi="Số lượng", label_en="Quantity", field_type="number"))
        s.add(CustomField(key="goi", label_vi="Gói", label_en="Plan", field_type="picklist"))
        s.add(PicklistValue(field_key="cf_goi", value="Cơ bản", position=0))


# What a user types; the stored value must not depend on which way it came in.
TYPED = {"birthday": "1990/05/06", "website": "hoasen.vn", "lead_source": "facebook",
         "cf_ngay_hen": "2024/05/06", "cf_so_luong": "1,5", "cf_goi": "co ban"}
STORED = {"birthday": dt.date(1990, 5, 6), "website": "https://hoasen.vn", "lead_source": "Facebook",
          "custom": {"ngay_hen": "2024-05-06", "so_luong": "1,5", "goi": "Cơ bản"}}
CHANNEL_KEYS = ("custom",)  # a channel carries custom fields, not the other contact fields


def _stored(record: RawLead, keys: tuple[str, ...] = tuple(STORED)) -> dict[str, Any]:
    return {k: getattr(record, k) for k in keys}


def _api(engine: Engine, values: dict[str, Any]) -> tuple[RawLead, dict[str, str]]:
    answer = api_intake.submit(engine, values, principal="test", idempotency_key=None,
                               render=lambda s, d, w: api_intake.Answer(201, {"id": d.raw_lead_id, "warnings": w}))
    with read_session(engine) as s:
        return s.get(RawLead, answer.body["id"]), answer.body["warnings"]  # type: ignore[return-value]


def _channel(engine: Engine, first_name: str, extra: dict[str, str]) -> RawLead:
    with write_session(engine) as s:
        decision = apply_incoming(s, IncomingPerson(channel="Webform", first_name=first_name, extra=extra),
                                  source="channel:Webform")
    with read_session(engine) as s:
        return s.get(RawLead, decision.raw_lead_id)  # type: ignore[return-value]


def test_the_same_input_is_stored_the_same_through_form_import_channel_and_api(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    _custom_fields(engine)
    with write_session(engine) as s:
        form_id = create(s, actor(engine), {"first_name": "Form", **TYPED}).id
    with read_session(engine) as s:
        labels = {f.key: f.label_vi for f in raw_lead_fields(s)}
    path = write_xlsx(tmp_path / "v.xlsx", [["Tên", *[labels[k] for k in TYPED]], ["Import", *TYPED.values()]])
    assert quick_import(engine, path).created == 1
    api, warnings = _api(engine, {"first_name": "Api", **TYPED})
    channel = _channel(engine, "Channel", {k: v for k, v in TYPED.items() if k.startswith("cf_")})

    with read_session(engine) as s:
        form = s.get(RawLead, form_id)
        imported = s.exec(select(RawLead).where(RawLead.first_name == "Import")).one()
        assert form is not None
        assert _stored(form) == STORED
        assert _stored(imported) == STORED
    assert _stored(api) == STORED and warnings == {} and api.description is None
    assert _stored(channel, CHANNEL_KEYS) == {"custom": STORED["custom"]} and channel.description is None
    assert issues(engine, "warning") == [] and issues(engine, "failed") == []


def test_a_value_that_is_not_a_number_is_refused_everywhere_and_lost_nowhere(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    _custom_fields(engine)
    for bad in ("nan", "inf"):
        with write_session(engine) as s, pytest.raises(ValidationFailed) as failed:
            create(s, actor(engine), {"first_name": "Form", "cf_so_luong": bad})
        assert failed.value.errors == {"cf_so_luong": "«Số lượng» phải là số."}
    path = write_xlsx(tmp_path / "n.xlsx", [["Tên", "Số lượng"], ["Import", "nan"], ["Import", "inf"]])
    result = quick_import(engine, path)
    assert (result.created, result.failed) == (0, 2)
    assert all("không phải số" in i.reason for i in issues(engine, "failed"))
    api, warnings = _api(engine, {"first_name": "Api", "cf_so_luong": "nan"})
    assert warnings == {"cf_so_luong": "«Số lượng» phải là số."}
    assert api.custom == {} and api.description == "Số lượng: nan"  # kept for a human
    channel = _channel(engine, "Channel", {"cf_so_luong": "inf"})
    assert channel.custom == {} and channel.description == "cf_so_luong: inf"


def test_a_bad_website_or_birthday_is_an_error_on_the_form_and_a_warning_in_the_import(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    with write_session(engine) as s, pytest.raises(ValidationFailed) as failed:
        create(s, actor(engine), {"first_name": "Form", "website": "không có", "birthday": future})
    assert failed.value.errors == {"website": "«Website» không phải địa chỉ website hợp lệ (ví dụ hoasen.vn).",
                                   "birthday": "«Ngày sinh» không phải ngày hợp lệ (dd/mm/yyyy)."}
    path = write_xlsx(tmp_path / "w.xlsx", [["Tên", "Website", "Ngày sinh"], ["Import", "không có", future]])
    assert quick_import(engine, path).created == 1
    with Session(engine) as s:
        record = s.exec(select(RawLead)).one()
    assert (record.website, record.birthday) == (None, None)
    [warning] = issues(engine, "warning")  # the row is imported; both values are named in its warning
    assert "«Website»" in warning.reason and "«Ngày sinh»" in warning.reason


def test_custom_dates_are_shown_dd_mm_yyyy(engine: Engine, demo_users: dict[str, int]) -> None:
    _custom_fields(engine)
    with write_session(engine) as s:
        record = create(s, actor(engine), {"first_name": "A", "cf_ngay_hen": "06/05/2024"})
        assert record.custom == {"ngay_hen": "2024-05-06"}
        shown = dict((fd.key, value) for fd, value in display_values(s, record))
        assert shown["cf_ngay_hen"] == "06/05/2024"
        assert form_values(record, s)["cf_ngay_hen"] == "2024-05-06"  # <input type=date>


def test_phones_parse_alike_as_text_and_as_a_spreadsheet_number() -> None:
    fd = BUILTIN_BY_KEY["mobile"]
    lookups = field_values.Lookups()
    spellings = ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", 912345678, 912345678.0]
    assert {field_values.parse(fd, s, lookups) for s in spellings} == {"+84912345678"}


def test_migration_0007_stores_custom_dates_as_iso(engine: Engine, demo_users: dict[str, int]) -> None:
    """Records imported before 0007 hold dd/mm/yyyy in custom dates; after it, ISO like the rest."""
    from alembic import command

    from crm_app.services import migrations

    config = migrations.alembic_config(engine.url.render_as_string(hide_password=False))
    # The fields first, with today's models: a later migration may add columns the old schema lacks.
    _custom_fields(engine)
    command.downgrade(config, "0006_api_tokens")
    old = [{"ngay_hen": "06/05/2024", "so_luong": "06/05/2024"}, {"ngay_hen": "2024-05-07"},
           {"ngay_hen": "không rõ"}, {}]
    # Columns as of 0006 only (the model has later ones): a core insert names the ones it writes.
    now = dt.datetime.now(dt.UTC)
    with write_session(engine) as s:
        for custom in old:
            s.execute(insert(RawLead.__table__).values(  # type: ignore[attr-defined]
                first_name="A", assigned_to_id=demo_users["thuhuong"], custom=custom, search_text="",
                status="Mới", created_at=now, modified_at=now))
    command.upgrade(config, "head")
    with read_session(engine) as s:
        assert [r.custom for r in s.exec(select(RawLead).order_by(RawLead.id))] == [
            {"ngay_hen": "2024-05-06", "so_luong": "06/05/2024"},  # only date fields change
            {"ngay_hen": "2024-05-07"}, {"ngay_hen": "không rõ"}, {}]
