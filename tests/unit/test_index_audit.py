"""Every index on raw_leads pays for itself (issue 20): each is used by a query the app really
runs (the list's sorts and filters, the dashboard, the duplicate checks, the channels' matching,
the REST API), captured from the services as they execute it and explained on SQLite (EXPLAIN
QUERY PLAN) and PostgreSQL (EXPLAIN, after ANALYZE, with sequential scans off so the planner has
to say which index it would take). An index no query uses is dropped (migration 0012); a new index
without a query here fails `test_every_index_is_audited`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from crm_app.db import get_engine, write_session
from crm_app.models import Lead, RawLead, User
from crm_app.services import dashboard
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from crm_app.services.raw_leads.filters import link_conditions
from crm_app.services.raw_leads.keyset import keyset_page
from crm_app.services.raw_leads.query import ListQuery, filtered, list_page
from crm_app.services.raw_leads.records import find_duplicates
from tests.conftest import make_database

ROWS = 3000
SOURCES = ("Website", "Facebook", "Zalo", "Khác", "Hội thảo", "Giới thiệu", "Email", "Điện thoại")
INPUTS = ("Thủ công", "Import", "Zalo", "Facebook", "Landing page", "API", "Web form", "Email")
STATUSES = ("Mới", "Đang liên hệ", "Quan tâm", "Không quan tâm", "Đã chuyển đổi", "Sai số")
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)

Scenario = Callable[[Session, Actor], object]


def _eq(field: str, value: str) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def _page(**kwargs: Any) -> Scenario:
    return lambda s, a: list_page(s, a, ListQuery(**kwargs), ["last_name", "first_name"])


# index → the query that uses it (a scenario running the app's own code, or the statement a
# service builds, written as it builds it). "both", "sqlite" or "postgresql": where the index exists.
AUDIT: dict[str, tuple[str, Scenario]] = {
    # The list (services/raw_leads/query.list_page): default order, the sortable name/place/care columns.
    "ix_raw_leads_created_id": ("both", _page()),
    "ix_raw_leads_company_id": ("both", _page(sort="company", descending=False)),
    "ix_raw_leads_last_name_id": ("both", _page(sort="last_name", descending=False)),
    "ix_raw_leads_first_name_id": ("both", _page(sort="first_name", descending=False)),
    "ix_raw_leads_province_id": ("both", _page(sort="province", descending=False)),
    "ix_raw_leads_last_contacted_id": ("both", _page(sort="last_contacted_at", descending=True)),
    "ix_raw_leads_next_task_id": ("both", _page(sort="next_task_at", descending=False)),
    "ix_raw_leads_modified_at": ("both", _page(sort="modified_at", descending=True)),
    # Sorting by source, channel, owner or status: on SQLite an index on one column ends with the
    # rowid (id), so it gives the list's (column, id) order whole; PostgreSQL walks it too.
    "ix_raw_leads_lead_source": ("both", _page(sort="lead_source", descending=False)),
    "ix_raw_leads_input_source": ("both", _page(sort="input_source", descending=True)),
    "ix_raw_leads_assigned_to_id": ("both", _page(sort="assigned_to", descending=False)),
    "ix_raw_leads_status": ("both", _page(sort="status", descending=False)),
    # The list's filters, newest first: by source, owner ("Giao cho", and visibility "own"), status.
    "ix_raw_leads_source_created": ("both", _page(conditions=[_eq("lead_source", "Facebook")])),
    "ix_raw_leads_owner_created": ("both", lambda s, a: _page(conditions=[_eq("assigned_to", str(_owner(s)))])(s, a)),
    "ix_raw_leads_status_created": ("both", _page(conditions=[_eq("status", "Quan tâm")])),
    # The dashboard's links into the list: a channel's bar over days, a lead form's row.
    "ix_raw_leads_input_created": ("both", _page(conditions=link_conditions(
        {"input_source": "Zalo", "from": "2026-11-20", "to": "2026-11-22"}))),
    "ix_raw_leads_ad_form_id": ("both", _page(conditions=link_conditions({"ad_form_id": "form-3"}))),
    "ix_raw_leads_ad_campaign_name": ("both", _page(conditions=[_eq("ad_campaign_name", "Tết 2027")])),
    # The dashboard's imports card: the records one import created (also undo_job's DELETE).
    "ix_raw_leads_import_job_id": ("both", _page(import_job_id=7)),
    # Quick search (PostgreSQL trigrams; SQLite answers from its FTS5 table).
    "ix_raw_leads_search_trgm": ("postgresql", _page(search="nguyen van")),
    # The dashboard's figures (services/dashboard.compute).
    "ix_raw_leads_dashboard": ("both", lambda s, a: dashboard.compute(
        s, a, dashboard.DashboardQuery(date(2026, 11, 1), date(2026, 11, 30)), now=NOW)),
    # A few days: the converted raw leads of the period (median time to Lead) come from the partial
    # index by day rather than from every converted raw lead.
    "ix_raw_leads_dashboard_converted": ("both", lambda s, a: dashboard.compute(
        s, a, dashboard.DashboardQuery(date(2026, 11, 20), date(2026, 11, 22)), now=NOW)),
    # Duplicates: the warning before saving (raw_leads.records.find_duplicates) and the channels' match
    # (sync_rules._find_match: Zalo id, PSID, then the phone in mobile or phone, then e-mail).
    "ix_raw_leads_mobile": ("both", lambda s, a: find_duplicates(s, a, mobile="0912000123")),
    "ix_raw_leads_email_key": ("both", lambda s, a: find_duplicates(s, a, email="KH12@gmail.com")),
    "ix_raw_leads_phone": ("both", lambda s, a: s.exec(select(RawLead.id).where(
        or_(col(RawLead.mobile) == "+84912000123", col(RawLead.phone) == "+84912000123"))).all()),
    "ix_raw_leads_zalo_user_id": ("both", lambda s, a: s.exec(select(RawLead.id).where(
        col(RawLead.zalo_user_id) == "z-12")).all()),
    "ix_raw_leads_facebook_psid": ("both", lambda s, a: s.exec(select(RawLead.id).where(
        col(RawLead.facebook_psid) == "p-12")).all()),
    # Merging duplicates (duplicates.merge): the raw leads converted into the merged-away Leads.
    "ix_raw_leads_converted_lead_id": ("both", lambda s, a: s.exec(select(
        RawLead.id, RawLead.converted_lead_id).where(col(RawLead.converted_lead_id).in_([3, 4]))).all()),
}
# The REST API's `updated_since` pages (routes/api: raw_leads.keyset.keyset_page) use ix_raw_leads_modified_at too.
API_UPDATED_SINCE: Scenario = lambda s, a: keyset_page(  # noqa: E731
    s, RawLead, filtered(s, a, ListQuery(modified_since=NOW - timedelta(hours=2))), after=None, limit=50)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audit_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = make_database(request.param, Path(tmp_path_factory.mktemp("audit")))
    engine = get_engine(url)
    _seed(engine)
    yield engine
    engine.dispose()


def _seed(engine: Engine) -> None:
    with write_session(engine) as session:
        ids = list(ensure_demo_users(session=session).values())
    rng = random.Random(3)
    with engine.begin() as conn:
        conn.execute(insert(Lead), [{"first_name": f"L{i}", "assigned_to_id": ids[0], "custom": {}, "search_text": ""}
                                    for i in range(10)])
        rows = []
        for i in range(ROWS):
            created = NOW - timedelta(days=rng.randrange(60), minutes=rng.randrange(1440))
            rows.append({
                "last_name": rng.choice(("Nguyễn Văn", "Trần Thị", "Lê", "Phạm")), "first_name": f"Khách {i}",
                "mobile": f"+849120{i:05d}", "phone": f"+8428{i:07d}" if i % 3 == 0 else None,
                "email": f"kh{i}@gmail.com", "email_key": f"kh{i}@gmail.com", "company": f"Công ty {i % 97}",
                "province": f"Tỉnh {i % 63}", "lead_source": SOURCES[i % len(SOURCES)],
                "input_source": INPUTS[i % len(INPUTS)], "status": STATUSES[i % len(STATUSES)],
                "assigned_to_id": ids[i % len(ids)], "created_at": created,
                "modified_at": created + timedelta(hours=rng.randrange(48)),
                "last_contacted_at": created if i % 4 == 0 else None,
                "next_task_at": created + timedelta(days=3) if i % 5 == 0 else None,
                "zalo_user_id": f"z-{i}" if i % 7 == 0 else None, "facebook_psid": f"p-{i}" if i % 11 == 0 else None,
                "ad_form_id": f"form-{i % 5}" if i % 50 == 0 else None,
                "ad_campaign_name": "Tết 2027" if i % 60 == 0 else None,
                "import_job_id": i % 40 if i % 2 == 0 else None,
                "converted_lead_id": 1 + i % 10 if i % 4 == 0 else None,
                "search_text": f"nguyen van khach {i} 0912{i:06d}", "custom": {},
            })
        conn.execute(insert(RawLead), rows)
        conn.execute(text("ANALYZE"))


def _owner(session: Session) -> int | None:
    return session.exec(select(User.id).where(User.username != "admin")).first()


def _admin(session: Session) -> Actor:
    return Actor.of(session.exec(select(User).where(User.username == "admin")).one())


def _explained(engine: Engine, scenario: Scenario) -> list[tuple[str, str]]:
    """(statement, plan) for every SELECT on raw_leads the scenario ran."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "raw_leads" in statement:
            captured.append((statement, parameters))

    with Session(engine) as session:
        actor = _admin(session)
        event.listen(engine, "before_cursor_execute", capture)
        try:
            scenario(session, actor)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
    out = []
    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in captured:
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            plan = conn.exec_driver_sql(prefix + statement, parameters).all()
            out.append((statement, "\n".join(" ".join(str(c) for c in row) for row in plan)))
    return out


def _indexes(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                        "tbl_name = 'raw_leads' AND name NOT LIKE 'sqlite_autoindex%'")
        else:
            rows = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'raw_leads' "
                                        "AND indexname <> 'raw_leads_pkey'")
        return {r[0] for r in rows}


def test_every_index_is_audited(audit_engine: Engine) -> None:
    dialect = audit_engine.dialect.name
    expected = {name for name, (where, _s) in AUDIT.items() if where in ("both", dialect)}
    assert _indexes(audit_engine) == expected


@pytest.mark.parametrize("index", sorted(AUDIT))
def test_index_is_used_by_its_query(audit_engine: Engine, index: str) -> None:
    where, scenario = AUDIT[index]
    if where not in ("both", audit_engine.dialect.name):
        pytest.skip(f"{index} exists on {where} only")
    plans = _explained(audit_engine, scenario)
    assert plans, "the scenario ran no query on raw_leads"
    used = [plan for _s, plan in plans if re.search(rf"\b{index}\b", plan)]
    assert used, f"{index} not used:\n" + "\n---\n".join(f"{s}\n{p}" for s, p in plans)


def test_api_updated_since_uses_the_modified_index(audit_engine: Engine) -> None:
    plans = _explained(audit_engine, API_UPDATED_SINCE)
    assert any("ix_raw_leads_modified_at" in plan for _s, plan in plans), plans
