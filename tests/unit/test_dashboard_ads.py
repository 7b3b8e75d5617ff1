"""Ad leads on the dashboard per campaign and lead form (the attribution a Lead Ads lead carries)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from crm_app.db import write_session
from crm_app.models import Lead, RawLead
from crm_app.services.dashboard import ads_breakdown

AT = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def test_ads_per_campaign_and_form(engine: Engine, demo_users: dict[str, int]) -> None:
    owner = demo_users["admin"]
    with write_session(engine) as s:
        s.add(RawLead(first_name="A", assigned_to_id=owner, created_at=AT, ad_form_id="f1", ad_form_name="Form Tết",
                      ad_campaign_name="Tết 2027"))
        s.add(RawLead(first_name="B", assigned_to_id=owner, created_at=AT, ad_form_id="f1", ad_form_name="Form Tết",
                      ad_campaign_name="Tết 2027"))
        s.add(Lead(first_name="C", assigned_to_id=owner, created_at=AT, ad_form_id="f1", ad_form_name="Form Tết",
                   ad_campaign_name="Tết 2027"))
        s.add(Lead(first_name="D", assigned_to_id=owner, created_at=AT, ad_form_id="f2"))
        s.add(RawLead(first_name="E", assigned_to_id=owner, created_at=AT))  # not an ad lead
        s.add(RawLead(first_name="F", assigned_to_id=owner, created_at=datetime(2026, 10, 1, tzinfo=UTC),
                      ad_form_id="f1", ad_campaign_name="Tết 2027"))  # outside the period
    with write_session(engine) as s:
        rows = ads_breakdown(s, date(2026, 11, 1), date(2026, 11, 30), None)
        assert [(r["campaign"], r["form"], r["records"], r["leads"]) for r in rows] == [
            ("Tết 2027", "Form Tết", 3, 1), ("Không xác định", "f2", 1, 1)]
        assert ads_breakdown(s, date(2026, 11, 1), date(2026, 11, 30), owner + 1000) == []
