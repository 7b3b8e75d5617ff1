"""Overview dashboard: raw-lead arrivals per channel, conversion, workload, imports and failing
channel events, each computed by SQL aggregation on SQLite and PostgreSQL.

Days are Vietnam local days (Asia/Ho_Chi_Minh, UTC+7, no daylight saving). A period is the
raw leads that *arrived* in it (a cohort): "converted" counts those of them that became a Lead,
whenever that happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlmodel import Session, col

from crm_app.db import is_sqlite
from crm_app.fields import STATUS_CONVERTED, UNKNOWN, picklist_values
from crm_app.models import ChannelEvent, ImportJob, Lead, RawLead, User, utcnow
from crm_app.services.auth import Actor

STATUS_CLOSED = "Không tiềm năng"
# Set by services/intake.py on an event whose processing failed. Deliveries failing signature
# verification are refused before anything is stored, so they cannot be counted here.
EVENT_FAILED = "failed"
VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
PRESETS = {"today": 1, "7d": 7, "30d": 30}
MAX_DAYS = 366  # per_day has one entry per day: keep a custom range bounded
MAX_IMPORTS = 50


@dataclass
class DashboardQuery:
    start: date  # first local day, inclusive
    end: date  # last local day, inclusive
    user_id: int | None = None  # admins: None = everyone; ignored for users (always themselves)


@dataclass
class Dashboard:
    start: str  # ISO dates of the period actually used
    end: str
    user_id: int | None  # the scope actually applied
    channels: list[str]  # series order for the charts
    per_day: list[dict[str, Any]]  # {"day": "2026-11-20", <channel>: count, ...} for every day
    funnel: list[dict[str, Any]]  # {"channel", "raw_leads", "converted", "rate"} (rate 0..1)
    open_per_user: list[dict[str, Any]]  # {"user", "username", "open"}, most open first
    median_hours: dict[str, float]  # channel -> median hours arrival→conversion (converted only)
    arrivals_today: int
    conversion_rate: float  # 0..1 over the period
    failing_events_24h: int | None  # None for non-admins (channels are an admin matter)
    imports: list[dict[str, Any]] = field(default_factory=list)
    # Ad leads per campaign and lead form: {"campaign", "form", "form_id", "records", "leads"}.
    ads: list[dict[str, Any]] = field(default_factory=list)


def range_for(preset: str, today: date) -> tuple[date, date]:
    """(start, end) local days of a preset: "today", "7d", "30d" (both ends inclusive)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}")
    return today - timedelta(days=PRESETS[preset] - 1), today


def local_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The Vietnam local date of a UTC timestamp column, in SQL.

    Constants are inlined rather than bound: PostgreSQL must see the GROUP BY expression
    textually equal to the selected one."""
    if is_sqlite(session):
        # SQLite stores UTC as text; Vietnam has no daylight saving, so a fixed offset is exact.
        return func.date(column, literal_column("'+7 hours'"))
    return cast(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), column), Date)


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local time, as UTC datetimes."""
    lower = datetime.combine(start, time.min, VN_TZ).astimezone(UTC)
    return lower, datetime.combine(end + timedelta(days=1), time.min, VN_TZ).astimezone(UTC)


def _hours_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if is_sqlite(session):
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return func.extract("epoch", later - earlier) / 3600.0


def compute(session: Session, actor: Actor, query: DashboardQuery, *, now: datetime | None = None) -> Dashboard:
    if query.start > query.end or (query.end - query.start).days >= MAX_DAYS:
        raise ValueError("invalid dashboard period")
    now = now or utcnow()
    # Users always see their own numbers, whatever the client sends.
    user_id = query.user_id if actor.is_admin else actor.id
    day = local_day(session, RawLead.created_at)
    # Filtering on the local day itself lets the expression index of migration 0003 serve the
    # range, the grouping order and every column the figures read.
    owner: ColumnElement[Any] = col(RawLead.assigned_to_id)
    if is_sqlite(session):
        # "+ 0" hides the column from SQLite's planner, which otherwise walks the owner's whole
        # history through ix_raw_leads_owner_created and reads the table (2x slower); the period's
        # slice of the dashboard index holds every column the figures read.
        owner = owner + 0
    scope = [] if user_id is None else [owner == user_id]
    cohort = [day >= query.start, day <= query.end, *scope]

    facts = _facts(session, day, cohort)
    channels = [v for v in picklist_values(session, "input_source") if v != UNKNOWN]
    # Values no longer in the picklist (or NULL, shown as "Không xác định") still get a series.
    channels += sorted({r.channel for r in facts["channel"]} - set(channels))

    per_day = {(query.start + timedelta(days=i)).isoformat(): dict.fromkeys(channels, 0)
               for i in range((query.end - query.start).days + 1)}
    for r in facts["day"]:
        per_day[str(r.day)][r.channel] = int(r.n)
    by_channel = {r.channel: r for r in facts["channel"]}
    total = facts["total"][0] if facts["total"] else None

    today_where = [day == now.astimezone(VN_TZ).date(), *scope]
    return Dashboard(
        start=query.start.isoformat(), end=query.end.isoformat(), user_id=user_id, channels=channels,
        per_day=[{"day": key, **counts} for key, counts in per_day.items()],
        funnel=[_funnel_row(ch, by_channel.get(ch)) for ch in channels],
        open_per_user=[{"user": r.full_name, "username": r.username, "open": int(r.n)} for r in facts["user"]],
        median_hours=_median_hours(session, cohort),
        arrivals_today=session.execute(select(func.count()).select_from(RawLead).where(*today_where)).scalar_one(),
        conversion_rate=_rate(int(total.converted), int(total.n)) if total else 0.0,
        failing_events_24h=_failing_events(session, now) if actor.is_admin else None,
        imports=_imports(session, *_utc_bounds(query.start, query.end), user_id),
        ads=ads_breakdown(session, query.start, query.end, user_id),
    )


def _facts(session: Session, day: ColumnElement[Any], cohort: list[ColumnElement[bool]]) -> dict[str, list[Any]]:
    """Per-day, per-channel, per-user and total counts in one statement.

    The cohort is scanned once into a small grouped CTE (days x channels x owners x statuses);
    the figures are re-aggregations of it. Both databases materialise a CTE used more than once."""
    is_open = case((and_(col(RawLead.converted_lead_id).is_(None),
                         col(RawLead.status).not_in([STATUS_CONVERTED, STATUS_CLOSED])), 1), else_=0)
    # Grouped by the index's own leading columns, so neither database has to sort the cohort.
    g = (select(day.label("day"), col(RawLead.input_source).label("input_source"),
                col(RawLead.assigned_to_id).label("user_id"), func.count().label("n"),
                func.count(RawLead.converted_lead_id).label("converted"), func.sum(is_open).label("open"))
         .where(*cohort).group_by(day, RawLead.input_source, RawLead.assigned_to_id, RawLead.status)).cte("g")
    channel = func.coalesce(g.c.input_source, literal_column(f"'{UNKNOWN}'"))
    n, converted = func.sum(g.c.n), func.sum(g.c.converted)
    no_text = cast(null(), RawLead.input_source.type)
    statement = union_all(
        select(literal("day").label("kind"), g.c.day, channel.label("channel"), null().label("full_name"),
               null().label("username"), n.label("n"), converted.label("converted"))
        .group_by(g.c.day, channel),
        select(literal("channel"), null(), channel, null(), null(), n, converted).group_by(channel),
        select(literal("total"), null(), no_text, null(), null(), n, converted).having(func.count() > 0),
        select(literal("user"), null(), no_text, User.full_name, User.username, func.sum(g.c.open), null())
        .join(User, User.id == g.c.user_id)
        .group_by(User.id, User.full_name, User.username).having(func.sum(g.c.open) > 0),
    )
    out: dict[str, list[Any]] = {"day": [], "channel": [], "total": [], "user": []}
    for row in session.execute(statement):
        out[row.kind].append(row)
    out["user"].sort(key=lambda r: (-r.n, r.username))
    return out


def _rate(converted: int, total: int) -> float:
    return round(converted / total, 4) if total else 0.0


def _funnel_row(channel: str, row: Any) -> dict[str, Any]:
    n, converted = (int(row.n), int(row.converted)) if row else (0, 0)
    return {"channel": channel, "raw_leads": n, "converted": converted, "rate": _rate(converted, n)}


def _median_hours(session: Session, cohort: list[ColumnElement[bool]]) -> dict[str, float]:
    """Median hours from a raw lead's arrival to its Lead's creation, per channel."""
    # Materialised first, from the partial index of converted raw leads (the explicit IS NOT NULL
    # lets the planners use it): joined directly, PostgreSQL preferred a merge join walking the
    # converted_lead_id index and the table, three times slower at 1M raw leads.
    cohort_converted = (select(RawLead.input_source, RawLead.created_at, RawLead.converted_lead_id)
                        .where(*cohort, col(RawLead.converted_lead_id).is_not(None))
                        .cte("converted_cohort").prefix_with("MATERIALIZED"))
    c = cohort_converted.c
    channel = func.coalesce(c.input_source, literal_column(f"'{UNKNOWN}'")).label("channel")
    hours = _hours_between(session, Lead.created_at, c.created_at)
    converted = select(channel, hours.label("hours")).join(Lead, Lead.id == c.converted_lead_id)
    if is_sqlite(session):
        # No percentile function: the middle row (odd count) or the mean of the two middle rows.
        ranked = converted.add_columns(
            func.row_number().over(partition_by=channel, order_by=hours).label("rn"),
            func.count().over(partition_by=channel).label("cnt"),
        ).subquery()
        statement = (select(ranked.c.channel, func.avg(ranked.c.hours))
                     .where(ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2]))
                     .group_by(ranked.c.channel))
    else:
        rows = converted.subquery()
        statement = (select(rows.c.channel, func.percentile_cont(0.5).within_group(rows.c.hours).cast(Float))
                     .group_by(rows.c.channel))
    return {ch: round(float(value), 2) for ch, value in session.execute(statement)}


MAX_AD_ROWS = 50


def ads_breakdown(session: Session, start: date, end: date, user_id: int | None) -> list[dict[str, Any]]:
    """Ad leads that arrived in the period, per campaign and lead form: raw leads (the cohort, as
    the other figures) plus the Leads a channel created directly (Lead Ads with a phone go straight
    to Lead under the default rules). `leads`: of those, how many are Leads now."""
    lower, upper = _utc_bounds(start, end)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for model in (RawLead, Lead):
        campaign = func.coalesce(model.ad_campaign_name, model.ad_campaign_id, literal_column("''"))
        form = func.coalesce(model.ad_form_name, literal_column("''"))
        form_id = func.coalesce(model.ad_form_id, literal_column("''"))
        where = [col(model.created_at) >= lower, col(model.created_at) < upper,
                 (col(model.ad_form_id).is_not(None)) | (col(model.ad_campaign_name).is_not(None))
                 | (col(model.ad_campaign_id).is_not(None))]
        if model is Lead:
            where.append(col(Lead.raw_lead_id).is_(None))  # a converted raw lead is counted above
        if user_id is not None:
            where.append(col(model.assigned_to_id) == user_id)
        converted = func.count(RawLead.converted_lead_id) if model is RawLead else func.count()
        statement = (select(campaign.label("campaign"), form.label("form"), form_id.label("form_id"),
                            func.count().label("n"), converted.label("leads"))
                     .where(*where).group_by(campaign, form, form_id))
        for r in session.execute(statement):
            row = rows.setdefault((r.campaign, r.form, r.form_id), {
                "campaign": r.campaign or UNKNOWN, "form": r.form or r.form_id or UNKNOWN, "form_id": r.form_id,
                "records": 0, "leads": 0})
            row["records"] += int(r.n)
            row["leads"] += int(r.leads)
    ordered = sorted(rows.values(), key=lambda r: (-r["records"], r["campaign"], r["form"]))
    return ordered[:MAX_AD_ROWS]


def _failing_events(session: Session, now: datetime) -> int:
    return session.execute(
        select(func.count()).select_from(ChannelEvent)
        .where(col(ChannelEvent.status) == EVENT_FAILED, col(ChannelEvent.received_at) >= now - timedelta(hours=24))
    ).scalar_one()


def _imports(session: Session, lower: datetime, upper: datetime, user_id: int | None) -> list[dict[str, Any]]:
    statement = (select(ImportJob, User.full_name).join(User, User.id == ImportJob.user_id)
                 .where(col(ImportJob.started_at) >= lower, col(ImportJob.started_at) < upper)
                 .order_by(col(ImportJob.started_at).desc(), col(ImportJob.id).desc()).limit(MAX_IMPORTS))
    if user_id is not None:
        statement = statement.where(col(ImportJob.user_id) == user_id)
    return [
        {"id": job.id, "file": job.original_name, "user": full_name, "status": job.status, "total": job.total,
         "created": job.created, "overwritten": job.overwritten, "merged": job.merged, "skipped": job.skipped,
         "failed": job.failed, "started": job.started_at.astimezone(VN_TZ).isoformat(timespec="seconds"),
         "skipped_file": bool(job.skipped_file), "failed_file": bool(job.failed_file)}
        for job, full_name in session.execute(statement)
    ]
