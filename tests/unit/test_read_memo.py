"""A request reads the field definitions once (the REST list asked for them three times per call),
and a write session still sees a field it has just added."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.fields import raw_lead_fields
from crm_app.models import User
from crm_app.services import field_settings
from crm_app.services.auth import Actor


def _custom_field_queries(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, many) -> None:  # type: ignore[no-untyped-def]
        if "FROM custom_fields" in statement:
            seen.append(statement)
    return seen


def test_a_read_session_loads_the_fields_once_and_a_write_session_sees_its_own_field(engine, demo_users) -> None:
    seen = _custom_field_queries(engine)
    with read_session(engine) as s:
        first, second = raw_lead_fields(s), raw_lead_fields(s)
    assert first == second and len(seen) == 1
    with write_session(engine) as s:
        admin = Actor.of(s.exec(select(User).where(User.username == "admin")).one())
        before = len(raw_lead_fields(s))
        field_settings.add_custom_field(s, admin, key="zalo_group", label_vi="Nhóm Zalo", label_en="Zalo group",
                                        field_type="text")
        assert [f.key for f in raw_lead_fields(s)][before:] == ["cf_zalo_group"]
    with read_session(engine) as s:  # a new request sees it
        assert "cf_zalo_group" in {f.key for f in raw_lead_fields(s)}
