from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import Session, func, select

from crm_app.db import write_session
from crm_app.fields import UNKNOWN, picklist_values
from crm_app.models import RawLead, SavedFilter, User
from crm_app.services import demo, migrations


def test_migrations_create_every_table_and_index(engine) -> None:
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table in ("users", "raw_leads", "leads", "tickets", "picklist_values", "custom_fields",
                  "saved_filters", "list_layouts", "import_jobs", "channel_events",
                  "sync_config", "assignment_cursors", "audit_entries", "import_locks"):
        assert table in tables
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("raw_leads")}
    for column in ("mobile", "phone", "email_key", "zalo_user_id", "facebook_psid"):
        assert (column,) in indexed
    uniques = inspector.get_unique_constraints("channel_events")
    assert any(set(u["column_names"]) == {"channel", "form_key", "event_key"} for u in uniques)


def test_upgrade_twice_is_harmless(engine) -> None:
    migrations.upgrade(str(engine.url.render_as_string(hide_password=False)))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(SavedFilter)).one() == 4


def test_reference_data_has_picklists_with_unknown(engine) -> None:
    with Session(engine) as s:
        assert picklist_values(s, "salutation") == ["Anh", "Chị", "Ông", "Bà", "Mr.", "Ms.",
                                                     UNKNOWN]
        assert picklist_values(s, "status")[0] == "Mới"


def test_seed_demo_creates_users_and_raw_leads_once(engine) -> None:
    with write_session(engine) as s:
        assert demo.seed_demo(session=s) == (5, 300)
    with write_session(engine) as s:
        assert demo.seed_demo(session=s) == (5, 0)
    with Session(engine) as s:
        names = set(s.exec(select(User.username)))
        assert names == {"admin", "thuhuong", "hieu.nguyen", "dung.vu", "phu.vo"}
        assert s.exec(select(func.count()).select_from(RawLead)).one() == 300
        with_mobile = s.exec(select(RawLead.mobile).where(RawLead.mobile != None)).all()  # noqa: E711
        assert with_mobile and all(m.startswith("+84") for m in with_mobile)
