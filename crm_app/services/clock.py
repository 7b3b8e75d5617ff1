"""The organisation's clock: the one place that turns stored UTC times into local dates and times.

Times are stored in UTC everywhere. What a person sees (a time on screen, "today", a day on a
chart, a date typed in a filter) is in the organisation's time zone, an org setting (default
Asia/Ho_Chi_Minh), never in the server's zone: a server running with TZ=UTC and one running with
TZ=Asia/Ho_Chi_Minh show and count the same. Dates on screen are dd/mm/yyyy whatever the
browser's language.

Every function takes the zone as an argument (read with `zone(session)`, once per read session), so a
list of 50 rows does not read the setting 50 times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Date, case, cast, func, literal_column
from sqlmodel import Session

from crm_app.db import is_sqlite, once_per_read
from crm_app.i18n import UserError
from crm_app.models import OrgSetting, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin
from crm_app.services.reference_data import get_org_setting

TZ_KEY = "time_zone"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# The zones the settings page offers (an admin can still store any IANA name through the service).
CHOICES = (
    "Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Manila",
    "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Australia/Sydney",
    "Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York",
    "America/Los_Angeles", "UTC",
)
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def valid_zone(name: str) -> bool:
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def zone(session: Session) -> ZoneInfo:
    """The organisation's time zone: one primary-key read per read session (db.once_per_read: a
    request asks several times), every time in a write session (so `set_zone` is seen at once)."""
    name = once_per_read(session, TZ_KEY, lambda: get_org_setting(session=session, key=TZ_KEY, default=DEFAULT_TZ))
    return _zone(name) if isinstance(name, str) and valid_zone(name) else _zone(DEFAULT_TZ)


def zone_name(session: Session) -> str:
    return str(zone(session).key)


def set_zone(session: Session, actor: Actor, name: str) -> None:
    require_admin(actor)
    name = name.strip()
    if not valid_zone(name):
        raise UserError("settings.time_zone.invalid")
    row = session.get(OrgSetting, TZ_KEY) or OrgSetting(key=TZ_KEY)
    old, row.value = row.value, name
    session.add(row)
    audit.record(session=session, entity="org_setting", entity_id=0, action="updated",
                 user_id=actor.id, changes={TZ_KEY: [old, name]})


def default_zone() -> ZoneInfo:
    return _zone(DEFAULT_TZ)


# ---------------------------------------------------------------- instants ↔ local

def aware(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite hands back naive values, which are UTC
    (never the server's zone, which `datetime.astimezone()` would assume)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime, tz: tzinfo) -> datetime:
    return aware(value).astimezone(tz)


def now(tz: tzinfo) -> datetime:
    return utcnow().astimezone(tz)


def today(tz: tzinfo, at: datetime | None = None) -> date:
    """The local date now (or at the UTC instant `at`)."""
    return to_local(at or utcnow(), tz).date()


def start_of(day: date, tz: tzinfo) -> datetime:
    """The UTC instant a local day begins."""
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def day_bounds(start: date | None, end: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """Local days [start, end] (both inclusive) as the half-open UTC range [lower, upper): the one
    way every filter by dates (list, dashboard, tickets, exports, REST) turns days into instants."""
    lower = start_of(start, tz) if start else None
    upper = start_of(end + timedelta(days=1), tz) if end else None
    return lower, upper


# ---------------------------------------------------------------- display

def fmt_date(value: date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def fmt_datetime(value: datetime | None, tz: tzinfo, fmt: str = DATETIME_FORMAT) -> str:
    """A stored time as the organisation reads it (dd/mm/yyyy HH:MM by default)."""
    return to_local(value, tz).strftime(fmt) if value else ""


def iso_local(value: datetime, tz: tzinfo) -> str:
    return to_local(value, tz).isoformat(timespec="seconds")


def stamp(tz: tzinfo) -> str:
    """Local time for a file name (exports): yyyymmdd-HHMM."""
    return now(tz).strftime("%Y%m%d-%H%M")


# ---------------------------------------------------------------- SQL

def _offset_modifier(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"'{minutes // 60:+d} hours'"
    return f"'{minutes:+d} minutes'"


def _offsets(tz: tzinfo, lower: datetime, upper: datetime) -> list[tuple[datetime, timedelta]]:
    """[(UTC instant from which the offset applies, offset)] over [lower, upper): the zone's
    transitions, found day by day then to the quarter hour (zones change on quarter hours)."""
    def offset_at(t: datetime) -> timedelta:
        return t.astimezone(tz).utcoffset() or timedelta(0)

    out = [(lower, offset_at(lower))]
    t = lower
    while t < upper:
        nxt = min(t + timedelta(days=1), upper)
        if offset_at(nxt) != out[-1][1]:
            q = t
            while offset_at(q) == out[-1][1]:
                q += timedelta(minutes=15)
            out.append((q, offset_at(q)))
        t = nxt
    return out


def local_day(session: Session, column: Any, tz: tzinfo, start: date, end: date) -> ColumnElement[Any]:
    """The local date of a UTC timestamp column, in SQL, exact for values around [start, end].

    Constants are inlined rather than bound: PostgreSQL must see the GROUP BY expression
    textually equal to the selected one, and for the default zone the expression is exactly the
    one the dashboard indexes of migration 0003 are built on."""
    if not is_sqlite(session):
        name = str(getattr(tz, "key", DEFAULT_TZ)).replace("'", "")
        return cast(func.timezone(literal_column(f"'{name}'"), column), Date)
    # SQLite has no zone database: a fixed offset (exact for a zone without daylight saving,
    # such as Vietnam), or one offset per stretch between the zone's transitions in the period.
    lower = start_of(start - timedelta(days=2), tz)
    upper = start_of(end + timedelta(days=3), tz)
    spans = _offsets(tz, lower, upper)
    if len(spans) == 1:
        return func.date(column, literal_column(_offset_modifier(spans[0][1])))
    whens = [(column < literal_column(f"'{until:%Y-%m-%d %H:%M:%S}'"),
              func.date(column, literal_column(_offset_modifier(offset))))
             for (_, offset), (until, _) in zip(spans, spans[1:], strict=False)]
    return case(*whens, else_=func.date(column, literal_column(_offset_modifier(spans[-1][1]))))
