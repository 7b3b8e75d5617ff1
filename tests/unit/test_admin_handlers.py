"""Admin-only handlers called directly (as any client can) by a user who is not an admin."""

from __future__ import annotations

from sqlmodel import Session, func, select

from crm_app.models import OrgSetting, User
from crm_app.services.reference_data import VISIBILITY_KEY
from crm_app.state.settings import SettingsState
from tests.statekit import call, state_as, token_for, using_engine


def test_user_calling_admin_handlers_changes_nothing(sqlite_engine) -> None:
    from crm_app.db import write_session
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    with using_engine(sqlite_engine):
        state = state_as(SettingsState, token_for(sqlite_engine, "thuhuong"))
        call(state, "save_visibility", "own")
        call(state, "add_user", {"username": "intruder", "full_name": "X",
                                 "password": "password1", "role": "admin"})
        call(state, "set_active", "1", False)
        call(state, "load")
        assert state.users == []
    with Session(sqlite_engine) as s:
        assert s.get(OrgSetting, VISIBILITY_KEY).value == "all"
        assert s.exec(select(func.count()).select_from(User)).one() == 5
        assert all(s.exec(select(User.is_active)))


def test_admin_handlers_work_for_an_admin(sqlite_engine) -> None:
    from crm_app.db import write_session
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    with using_engine(sqlite_engine):
        state = state_as(SettingsState, token_for(sqlite_engine, "admin"))
        call(state, "save_visibility", "own")
        call(state, "add_user", {"username": "lan.pham", "full_name": "Phạm Lan",
                                 "password": "password1", "role": "user"})
        assert state.add_error == ""
        assert "lan.pham" in [u["username"] for u in state.users]
        call(state, "add_user", {"username": "lan.pham", "full_name": "Again",
                                 "password": "password1", "role": "user"})
        assert "đã tồn tại" in state.add_error
    with Session(sqlite_engine) as s:
        assert s.get(OrgSetting, VISIBILITY_KEY).value == "own"


def test_anonymous_caller_changes_nothing(sqlite_engine) -> None:
    with using_engine(sqlite_engine):
        state = state_as(SettingsState, "")
        call(state, "save_visibility", "own")
    with Session(sqlite_engine) as s:
        assert s.get(OrgSetting, VISIBILITY_KEY).value == "all"


def test_user_cannot_save_sync_config_through_the_handler(sqlite_engine) -> None:
    from crm_app.db import write_session
    from crm_app.models import SyncConfig
    from crm_app.services.demo import ensure_demo_users
    from crm_app.state.sync_config import SyncConfigState

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    with using_engine(sqlite_engine):
        state = state_as(SyncConfigState, token_for(sqlite_engine, "thuhuong"))
        state.choices = {"condition": "email", "target_when_met": "raw_lead", "target_when_not_met": "none",
                         "on_match": "skip", "assignment_method": "least_open"}
        state.tickets = {"webform": True}
        call(state, "save")
    with Session(sqlite_engine) as s:
        settings = s.exec(select(SyncConfig)).one().settings
    assert settings["condition"] == "email_or_phone" and settings["on_match"] == "overwrite"


def test_file_retention_is_an_admin_setting(sqlite_engine) -> None:
    from crm_app.db import write_session
    from crm_app.services import retention
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    with using_engine(sqlite_engine):
        user = state_as(SettingsState, token_for(sqlite_engine, "thuhuong"))
        call(user, "save_retention", {"days": "1"})
        admin = state_as(SettingsState, token_for(sqlite_engine, "admin"))
        call(admin, "load")
        assert admin.retention_days == retention.DEFAULT_DAYS == 30
        call(admin, "save_retention", {"days": "0"})
        call(admin, "save_retention", {"days": "ba mươi"})
        with Session(sqlite_engine) as s:
            assert retention.retention_days(s) == 30  # the user's call, 0 and words all refused
        call(admin, "save_retention", {"days": "90"})
        assert admin.retention_days == 90
    with Session(sqlite_engine) as s:
        assert retention.retention_days(s) == 90
