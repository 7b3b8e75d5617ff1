"""Dashboard figures on SQLite and PostgreSQL, from hand-built raw leads with known answers.

Times are written in Vietnam local time (UTC+7): two rows sit either side of local midnight so a
grouping by the UTC date would put them on the wrong day."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm_app.db import read_session, write_session
from crm_app.fields import STATUS_CONVERTED
from crm_app.i18n import UserError
from crm_app.models import ChannelEvent, ImportJob, Lead, RawLead, User
from crm_app.services import assignment, clock, dashboard, field_settings, migrations, statuses
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.dashboard import DashboardQuery, range_for
from crm_app.services.raw_leads.filters import link_conditions
from crm_app.services.raw_leads.query import ListQuery, list_page

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


@pytest.fixture(params=["UTC", "Asia/Ho_Chi_Minh"])
def server_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server's own zone (TZ): what the CRM shows and counts must not depend on it."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _today_and_its_list(engine: Engine, actor: Actor) -> tuple[dashboard.Dashboard, int, list[str]]:
    """The dashboard's "new today" and the list its card opens (the link's own parameters)."""
    with Session(engine) as s:
        dash = dashboard.compute(s, actor, DashboardQuery(date(2026, 11, 20), date(2026, 11, 20)), now=NOW)
        query = ListQuery(conditions=link_conditions({"from": dash.today, "to": dash.today}))
        page = list_page(s, actor, query, ["first_name", "created_at"])
    return dash, page.total, sorted(r["first_name"] for r in page.rows)


def test_new_today_equals_its_drill_down_whatever_the_server_zone(engine: Engine, demo_users: dict[str, int],
                                                                   server_tz: str) -> None:
    # Either side of Vietnam's midnight (17:00 UTC): 16:59 UTC is the evening of the 19th in
    # Vietnam, 17:01 UTC already the 20th. A UTC-day filter would take "noon" and "late" instead.
    at = {"eve": datetime(2026, 11, 19, 16, 59, tzinfo=UTC), "dawn": datetime(2026, 11, 19, 17, 1, tzinfo=UTC),
          "noon": datetime(2026, 11, 20, 5, 0, tzinfo=UTC), "late": datetime(2026, 11, 20, 17, 1, tzinfo=UTC)}
    with write_session(engine) as s:
        for name, when in at.items():
            s.add(RawLead(first_name=name, assigned_to_id=demo_users["thuhuong"], input_source="Zalo OA",
                          created_at=when, modified_at=when))
    admin = who(demo_users, "admin")
    dash, listed, names = _today_and_its_list(engine, admin)
    assert dash.today == "2026-11-20"
    assert (dash.arrivals_today, listed, names) == (2, 2, ["dawn", "noon"])
    assert dash.per_day[0]["Zalo OA"] == 2
    # Times on screen are Vietnam time too, dd/mm/yyyy.
    with Session(engine) as s:
        rows = list_page(s, admin, ListQuery(conditions=link_conditions(
            {"from": dash.today, "to": dash.today}), sort="created_at", descending=False), ["created_at"]).rows
    assert [r["created_at"] for r in rows] == ["20/11/2026 00:01", "20/11/2026 12:00"]

    # The organisation moves to UTC: its days (and "today") follow, the two counts still agree.
    with write_session(engine) as s:
        clock.set_zone(s, admin, "UTC")
    dash, listed, names = _today_and_its_list(engine, admin)
    assert (dash.today, dash.arrivals_today, listed, names) == ("2026-11-20", 2, 2, ["late", "noon"])


def test_setting_the_time_zone_is_for_admins_and_checked(engine: Engine, demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        with pytest.raises(PermissionDenied):
            clock.set_zone(s, who(demo_users, "thuhuong"), "UTC")
        with pytest.raises(UserError):
            clock.set_zone(s, who(demo_users, "admin"), "Mars/Olympus")
    with Session(engine) as s:
        assert clock.zone_name(s) == "Asia/Ho_Chi_Minh"


def test_the_zone_is_read_once_per_request_and_a_change_is_seen_by_the_next(
        engine: Engine, demo_users: dict[str, int]) -> None:
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "org_settings" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with read_session(engine) as request:
            for _ in range(5):  # a list page asks for the zone several times: one read
                assert clock.zone_name(request) == "Asia/Ho_Chi_Minh"
            assert len(reads) == 1
        with write_session(engine) as s:  # an admin's save sees its own change at once
            clock.set_zone(s, who(demo_users, "admin"), "UTC")
            assert clock.zone_name(s) == "UTC"
        with read_session(engine) as request:  # and the next request sees it
            assert clock.zone_name(request) == "UTC"
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_days_follow_daylight_saving_on_both_databases(engine: Engine, demo_users: dict[str, int]) -> None:
    """A zone with daylight saving (New York, change on 1 Nov 2026 at 06:00 UTC): the day of a
    record is its local day on either side of the change (SQLite has no zone database)."""
    admin = who(demo_users, "admin")
    with write_session(engine) as s:
        clock.set_zone(s, admin, "America/New_York")
        for when in (datetime(2026, 11, 1, 3, 30, tzinfo=UTC),  # 31 Oct 23:30 EDT (UTC-4)
                     datetime(2026, 11, 1, 4, 30, tzinfo=UTC),  # 1 Nov 00:30 EDT
                     datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 1 Nov 23:30 EST (UTC-5)
                     datetime(2026, 11, 2, 5, 30, tzinfo=UTC)):  # 2 Nov 00:30 EST
            s.add(RawLead(first_name="R", assigned_to_id=admin.id, input_source="Webform", created_at=when,
                          modified_at=when))
    dash = compute(engine, admin, date(2026, 10, 31), date(2026, 11, 2))
    assert [d["Webform"] for d in dash.per_day] == [1, 2, 1]


def _open_bar_and_its_list(engine: Engine, actor: Actor, start: date, end: date) -> tuple[dict[str, int],
                                                                                         dict[str, int]]:
    """Per user: the dashboard's open bar, and the total of the list its link opens."""
    with Session(engine) as s:
        dash = dashboard.compute(s, actor, DashboardQuery(start, end), now=NOW)
        ids = {u.username: str(u.id) for u in s.exec(select(User))}
        bars = {u["username"]: u["open"] for u in dash.open_per_user}
        listed = {}
        for username in ids:
            link = {"from": dash.start, "to": dash.end, "assigned_to": ids[username], "open": "1"}
            total = list_page(s, actor, ListQuery(conditions=link_conditions(link)),
                              ["first_name"]).total
            if total:
                listed[username] = total
    return bars, listed


def test_open_bars_and_their_lists_agree_after_an_admin_adds_statuses(engine: Engine,
                                                                      world: dict[str, int]) -> None:
    admin = who(world, "admin")
    period = range_for("7d", date(2026, 11, 20))
    bars, listed = _open_bar_and_its_list(engine, admin, *period)
    assert bars == listed == {"thuhuong": 2, "dung.vu": 1}
    with write_session(engine) as s:
        field_settings.add_value(s, admin, "status", "Hẹn gọi lại", "open")
        field_settings.add_value(s, admin, "status", "Đã huỷ", "closed")
    with write_session(engine) as s:
        for status in ("Hẹn gọi lại", "Hẹn gọi lại", "Đã huỷ"):
            _add(s, world["dung.vu"], "Webform", vn(19, 9), status=status)
    bars, listed = _open_bar_and_its_list(engine, admin, *period)
    # The new open status counts, the new closed one does not, in the bar and in its list alike.
    assert bars == listed == {"dung.vu": 3, "thuhuong": 2}
    # The same definition picks the least-loaded user for the next channel customer: over all time
    # both have 3 open (Hường also has one from the 10th), a tie, which goes to the first listed.
    d, h = world["dung.vu"], world["thuhuong"]
    with write_session(engine) as s:
        assert (assignment.least_open_next(s, [d, h]), assignment.least_open_next(s, [h, d])) == (d, h)


def test_a_status_meaning_is_checked_and_defaults_from_the_guide(engine: Engine, demo_users: dict[str, int]
                                                                  ) -> None:
    admin = who(demo_users, "admin")
    with write_session(engine) as s:
        with pytest.raises(UserError):
            field_settings.add_value(s, admin, "status", "Lạ", "maybe")
        with pytest.raises(PermissionDenied):
            field_settings.add_value(s, who(demo_users, "thuhuong"), "status", "Lạ", "open")
        field_settings.add_value(s, admin, "status", "Chờ", "")
        field_settings.add_value(s, admin, "lead_source", "TikTok", "closed")  # not a status: no meaning
    with Session(engine) as s:
        assert statuses.meanings(s) == {"Mới": "open", "Đang chăm sóc": "open", "Đã chuyển đổi": "converted",
                                        "Không tiềm năng": "closed", "Không xác định": "open", "Chờ": "open"}
        assert {v.value: v.meaning for v in field_settings.values(s, "lead_source")}["TikTok"] is None


def test_migration_gives_existing_status_values_their_meaning(engine: Engine) -> None:
    """An installation from before 0007, with an admin's own status: built-ins get the guide's
    meaning, the others stay open (as the dashboard counted them); other picklists get none."""
    cfg = migrations.alembic_config(engine.url.render_as_string(hide_password=False))
    before = ScriptDirectory.from_config(cfg).get_revision("0007_status_meaning").down_revision
    command.downgrade(cfg, str(before))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO picklist_values (field_key, value, position, is_active) "
                          "VALUES ('status', 'Hẹn gọi lại', 50, true)"))
    command.upgrade(cfg, "head")
    with Session(engine) as s:
        assert statuses.meanings(s) == {"Mới": "open", "Đang chăm sóc": "open", "Đã chuyển đổi": "converted",
                                        "Không tiềm năng": "closed", "Không xác định": "open",
                                        "Hẹn gọi lại": "open"}
        assert {v.meaning for v in field_settings.values(s, "lead_source")} == {None}
