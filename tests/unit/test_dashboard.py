"""Dashboard figures on SQLite and PostgreSQL, from hand-built raw leads with known answers.

Times are written in Vietnam local time (UTC+7): two rows sit either side of local midnight so a
grouping by the UTC date would put them on the wrong day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import write_session
from crm_app.fields import STATUS_CONVERTED
from crm_app.models import ChannelEvent, ImportJob, Lead, RawLead
from crm_app.services import dashboard
from crm_app.services.auth import Actor
from crm_app.services.dashboard import DashboardQuery, range_for

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=VN).astimezone(UTC)
CHANNELS = ["Thủ công", "Import", "Zalo OA", "Zalo Ads Form", "Hana", "Botbanhang", "Facebook Lead Ads",
            "Webform", "Landing page", "API"]
UNKNOWN = "Không xác định"


def vn(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VN).astimezone(UTC)


def _add(s: Session, owner: int, channel: str | None, at: datetime, status: str = "Mới",
         converted_after_h: float | None = None) -> None:
    lead_id = None
    if converted_after_h is not None:
        lead = Lead(first_name="L", assigned_to_id=owner, created_at=at + timedelta(hours=converted_after_h))
        s.add(lead)
        s.flush()
        lead_id, status = lead.id, STATUS_CONVERTED
    s.add(RawLead(first_name="R", assigned_to_id=owner, input_source=channel, status=status, created_at=at,
                  modified_at=at, converted_lead_id=lead_id))


@pytest.fixture
def world(engine: Engine, demo_users: dict[str, int]) -> dict[str, int]:
    h, d, admin = demo_users["thuhuong"], demo_users["dung.vu"], demo_users["admin"]
    with write_session(engine) as s:
        _add(s, h, "Zalo OA", vn(20, 8), converted_after_h=4)
        _add(s, h, "Zalo OA", vn(20, 0, 30))  # UTC 19 Nov 17:30: local day 20 Nov
        _add(s, h, "Zalo OA", vn(19, 23, 30), status="Đang chăm sóc")  # UTC 19 Nov 16:30
        _add(s, h, "Webform", vn(18, 10), status="Không tiềm năng")
        _add(s, d, "Hana", vn(20, 9), converted_after_h=10)
        _add(s, d, "Hana", vn(19, 12), converted_after_h=1)
        _add(s, d, "Zalo OA", vn(19, 12), converted_after_h=2)
        _add(s, d, "Zalo OA", vn(17, 12), converted_after_h=10)
        _add(s, d, None, vn(20, 10), status="Đang chăm sóc")
        _add(s, h, "Zalo OA", vn(10, 12))  # before the 7-day period
        for status, age in (("failed", 1), ("failed", 25), ("processed", 1)):
            s.add(ChannelEvent(channel="zalo", event_key=f"{status}{age}", body=b"{}", status=status,
                               received_at=NOW - timedelta(hours=age)))
        s.add(ImportJob(user_id=h, status="done", original_name="khach.xlsx", total=10, created=5, overwritten=1,
                        merged=2, skipped=1, failed=1, started_at=vn(19, 10), failed_file="/private/x.xlsx"))
        s.add(ImportJob(user_id=admin, status="done", original_name="cu.xlsx", started_at=vn(1, 10)))
    return demo_users


def who(users: dict[str, int], username: str) -> Actor:
    return Actor(id=users[username], username=username, full_name=username,
                 role="admin" if username == "admin" else "user")


def compute(engine: Engine, actor: Actor, start: date, end: date, user_id: int | None = None
            ) -> dashboard.Dashboard:
    with Session(engine) as s:
        return dashboard.compute(s, actor, DashboardQuery(start, end, user_id), now=NOW)


def zeros(day: str, channels: list[str]) -> dict[str, object]:
    return {"day": day, **dict.fromkeys(channels, 0)}


def test_range_presets() -> None:
    today = date(2026, 11, 20)
    assert range_for("today", today) == (today, today)
    assert range_for("7d", today) == (date(2026, 11, 14), today)
    assert range_for("30d", today) == (date(2026, 10, 22), today)
    with pytest.raises(ValueError):
        range_for("90d", today)


def test_admin_sees_every_figure_for_seven_days(engine: Engine, world: dict[str, int]) -> None:
    dash = compute(engine, who(world, "admin"), *range_for("7d", date(2026, 11, 20)))
    channels = [*CHANNELS, UNKNOWN]
    assert dash.channels == channels
    assert dash.user_id is None
    expected_days = {f"2026-11-{d}": zeros(f"2026-11-{d}", channels) for d in range(14, 21)}
    expected_days["2026-11-20"].update({"Zalo OA": 2, "Hana": 1, UNKNOWN: 1})
    expected_days["2026-11-19"].update({"Zalo OA": 2, "Hana": 1})
    expected_days["2026-11-18"].update({"Webform": 1})
    expected_days["2026-11-17"].update({"Zalo OA": 1})
    assert dash.per_day == list(expected_days.values())
    funnel = {f["channel"]: (f["raw_leads"], f["converted"], f["rate"]) for f in dash.funnel}
    assert [f["channel"] for f in dash.funnel] == channels
    assert funnel["Zalo OA"] == (5, 3, 0.6)
    assert funnel["Hana"] == (2, 2, 1.0)
    assert funnel["Webform"] == (1, 0, 0.0)
    assert funnel[UNKNOWN] == (1, 0, 0.0)
    assert funnel["Import"] == (0, 0, 0.0)
    assert dash.conversion_rate == round(5 / 9, 4)
    assert dash.open_per_user == [
        {"user": "Nguyễn Thu Hường", "username": "thuhuong", "open": 2},
        {"user": "Vũ Tiến Dũng", "username": "dung.vu", "open": 1},
    ]
    assert dash.median_hours == {"Zalo OA": 4.0, "Hana": 5.5}  # odd and even counts
    assert dash.arrivals_today == 4
    assert dash.failing_events_24h == 1
    assert dash.imports == [{"id": dash.imports[0]["id"], "file": "khach.xlsx", "user": "Nguyễn Thu Hường",
                             "status": "done", "total": 10, "created": 5, "overwritten": 1, "merged": 2,
                             "skipped": 1, "failed": 1, "started": "2026-11-19T10:00:00+07:00",
                             "skipped_file": False, "failed_file": True}]


def test_admin_can_scope_to_one_user(engine: Engine, world: dict[str, int]) -> None:
    dash = compute(engine, who(world, "admin"), date(2026, 11, 14), date(2026, 11, 20), world["dung.vu"])
    assert dash.user_id == world["dung.vu"]
    assert dash.per_day[-1] == {**zeros("2026-11-20", [*CHANNELS, UNKNOWN]), "Hana": 1, UNKNOWN: 1}
    funnel = {f["channel"]: (f["raw_leads"], f["converted"]) for f in dash.funnel if f["raw_leads"]}
    assert funnel == {"Zalo OA": (2, 2), "Hana": (2, 2), UNKNOWN: (1, 0)}
    assert dash.conversion_rate == 0.8
    assert dash.open_per_user == [{"user": "Vũ Tiến Dũng", "username": "dung.vu", "open": 1}]
    assert dash.median_hours == {"Zalo OA": 6.0, "Hana": 5.5}
    assert dash.arrivals_today == 2
    assert dash.imports == []
    assert dash.failing_events_24h == 1


def test_user_is_forced_to_own_scope(engine: Engine, world: dict[str, int]) -> None:
    for asked in (None, world["dung.vu"]):
        dash = compute(engine, who(world, "thuhuong"), date(2026, 11, 14), date(2026, 11, 20), asked)
        assert dash.user_id == world["thuhuong"]
        funnel = {f["channel"]: (f["raw_leads"], f["converted"]) for f in dash.funnel if f["raw_leads"]}
        assert funnel == {"Zalo OA": (3, 1), "Webform": (1, 0)}
        assert dash.channels == CHANNELS
        assert dash.open_per_user == [{"user": "Nguyễn Thu Hường", "username": "thuhuong", "open": 2}]
        assert dash.median_hours == {"Zalo OA": 4.0}
        assert dash.arrivals_today == 2
        assert dash.failing_events_24h is None
        assert [i["file"] for i in dash.imports] == ["khach.xlsx"]


def test_today_counts_by_local_day(engine: Engine, world: dict[str, int]) -> None:
    dash = compute(engine, who(world, "admin"), *range_for("today", date(2026, 11, 20)))
    assert dash.per_day == [{**zeros("2026-11-20", [*CHANNELS, UNKNOWN]), "Zalo OA": 2, "Hana": 1, UNKNOWN: 1}]
    assert dash.imports == []


def test_empty_period_gives_zeros(engine: Engine, world: dict[str, int]) -> None:
    dash = compute(engine, who(world, "admin"), date(2025, 1, 1), date(2025, 1, 3))
    assert dash.per_day == [zeros(f"2025-01-0{d}", CHANNELS) for d in (1, 2, 3)]
    assert all(f["raw_leads"] == f["converted"] == 0 and f["rate"] == 0.0 for f in dash.funnel)
    assert dash.open_per_user == []
    assert dash.median_hours == {}
    assert dash.conversion_rate == 0.0
    assert dash.imports == []
    assert dash.arrivals_today == 4  # today's card does not follow the period


def test_empty_database(engine: Engine, demo_users: dict[str, int]) -> None:
    dash = compute(engine, who(demo_users, "thuhuong"), date(2026, 11, 20), date(2026, 11, 20))
    assert dash.per_day == [zeros("2026-11-20", CHANNELS)]
    assert (dash.arrivals_today, dash.conversion_rate, dash.median_hours) == (0, 0.0, {})


def test_invalid_period_is_refused(engine: Engine, demo_users: dict[str, int]) -> None:
    for start, end in ((date(2026, 11, 20), date(2026, 11, 19)), (date(2020, 1, 1), date(2026, 1, 1))):
        with pytest.raises(ValueError):
            compute(engine, who(demo_users, "admin"), start, end)
