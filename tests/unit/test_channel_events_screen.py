"""Sự kiện kênh flags the deliveries whose record has no phone and no e-mail (DESIGN §4 rule 3 made
the record from a Zalo id, a PSID or a name): the admin's list of people to complete (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from crm_app.db import read_session, write_session
from crm_app.models import ChannelEvent, Lead, RawLead
from crm_app.services import channel_events, intake
from crm_app.services.auth import PermissionDenied
from tests.fixtures.importer import actor


def _event(session, key: str, status: str, **links: int | None) -> None:
    session.add(ChannelEvent(channel="zalo", event_key=key, body=b"{}", status=status, **links))


def test_processed_deliveries_without_phone_or_email_are_flagged_and_filterable(
        engine: Engine, demo_users: dict[str, int]) -> None:
    owner = demo_users["thuhuong"]
    with write_session(engine) as s:
        bare = RawLead(first_name="Zalo 123", zalo_user_id="z-1", assigned_to_id=owner)
        phoned = RawLead(first_name="Lan", mobile="+84912345678", assigned_to_id=owner)
        mailed = Lead(first_name="Minh", email="minh@example.vn", assigned_to_id=owner)
        s.add_all([bare, phoned, mailed])
        s.flush()
        _event(s, "a", intake.PROCESSED, raw_lead_id=bare.id)
        _event(s, "b", intake.PROCESSED, raw_lead_id=phoned.id)
        _event(s, "c", intake.PROCESSED, lead_id=mailed.id)
        _event(s, "d", intake.IGNORED)  # an unfollow: no record, nothing to complete
        _event(s, "e", intake.FAILED, raw_lead_id=bare.id)
    admin = actor(engine, "admin")
    with read_session(engine) as s:
        rows = {r.id: r for r in channel_events.recent(s, admin)}
        flagged = channel_events.recent(s, admin, status=channel_events.NO_CONTACT)
    assert [r.no_contact for r in sorted(rows.values(), key=lambda r: r.id)] == [True, False, False, False, False]
    assert [(r.raw_lead_id, r.status) for r in flagged] == [(rows[min(rows)].raw_lead_id, intake.PROCESSED)]


def test_only_an_admin_sees_the_flags(engine: Engine, demo_users: dict[str, int]) -> None:
    with read_session(engine) as s, pytest.raises(PermissionDenied):
        channel_events.recent(s, actor(engine, "thuhuong"), status=channel_events.NO_CONTACT)
