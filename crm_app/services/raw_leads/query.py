"""The list query: conditions, quick search, time bounds and visibility as WHERE, and one sorted page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from crm_app.fields import raw_lead_fields
from crm_app.models import RawLead
from crm_app.services import clock
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.access import visible_clause
from crm_app.services.raw_leads.display import NAME_KEY, display_value, full_name, user_names
from crm_app.services.raw_leads.filters import SORT_COLUMNS, condition
from crm_app.services.raw_leads.search import search_clause

PAGE_SIZES = (25, 50, 100)
COUNT_CAP = 10_000
CARE_SORTS = ("last_contacted_at", "next_task_at")


@dataclass
class ListQuery:
    search: str = ""
    conditions: list[dict[str, Any]] = field(default_factory=list)
    sort: str = "created_at"
    descending: bool = True
    page: int = 1
    page_size: int = 50
    import_job_id: int | None = None  # the records one import created (the dashboard's imports card)
    # Time bounds (aware datetimes, inclusive): the REST API's updated_since / created_from / created_to.
    modified_since: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class ListPage:
    rows: list[dict[str, str]]
    total: int
    page: int
    page_size: int
    more: bool = False  # the total is at least COUNT_CAP: counting further would scan the table


class TimeWindow(Protocol):
    """The time filters a list query carries (ListQuery, TicketQuery)."""

    modified_since: datetime | None
    created_from: datetime | None
    created_to: datetime | None


def time_bounds(model: Any, query: TimeWindow) -> list[ColumnElement[bool]]:
    where = []
    if query.modified_since is not None:
        where.append(col(model.modified_at) >= query.modified_since)
    if query.created_from is not None:
        where.append(col(model.created_at) >= query.created_from)
    if query.created_to is not None:
        where.append(col(model.created_at) <= query.created_to)
    return where


def filtered(session: Session, actor: Actor, query: ListQuery, model: Any = RawLead) -> list[ColumnElement[bool]]:
    """The list's WHERE clauses: conditions, quick search, time bounds and visibility; `model` is
    RawLead or Lead (same contact columns)."""
    fields = {f.key: f for f in raw_lead_fields(session)}
    where = [condition(session, c, fields, model) for c in query.conditions[:20]]
    if (clause := search_clause(session, query.search, model)) is not None:
        where.append(clause)
    if query.import_job_id is not None:
        where.append(col(model.import_job_id) == query.import_job_id)
    where += time_bounds(model, query)
    where.append(col(model.merged_into).is_(None))  # merged into another record: shown there, not here
    if (vis := visible_clause(session, actor, model)) is not None:
        where.append(vis)
    return where


def care_order(column: Any, key: str, descending: bool) -> Any:
    """The sort term; the care columns put empty values where PostgreSQL's index has them (last going
    up, first going down) on both databases, so "Việc tiếp theo" ascending starts with the soonest task."""
    term = column.desc() if descending else column.asc()
    if key in CARE_SORTS:
        term = term.nulls_first() if descending else term.nulls_last()
    return term


def list_page(session: Session, actor: Actor, query: ListQuery, columns: list[str] | tuple[str, ...], *,
              model: Any = RawLead, sorts: dict[str, Any] | None = None) -> ListPage:
    """One page of the list of raw leads or leads (`model`), sorted by a key of `sorts` (an allow-list
    of columns, SORT_COLUMNS by default), each row the shown values of `columns`."""
    where = filtered(session, actor, query, model)
    capped = select(model.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    more = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    sorts = SORT_COLUMNS if sorts is None else sorts
    sort_col = getattr(model, sorts.get(query.sort, sorts["created_at"]).key)
    order = [care_order(sort_col, query.sort, query.descending),
             col(model.id).desc() if query.descending else col(model.id).asc()]
    page_size = query.page_size if query.page_size in PAGE_SIZES else 50
    pages = max(1, -(-total // page_size))
    page = max(1, query.page) if more else min(max(1, query.page), pages)
    records = session.exec(select(model).where(*where).order_by(*order)
                           .offset((page - 1) * page_size).limit(page_size)).all()
    users = user_names(session, {r.assigned_to_id for r in records})
    fields = {f.key: f for f in raw_lead_fields(session) if f.custom}
    tz = clock.zone(session)
    rows = [{"id": str(r.id), NAME_KEY: full_name(r), **{c: display_value(r, c, users, tz, fields) for c in columns}}
            for r in records]
    return ListPage(rows=rows, total=total, page=page, page_size=page_size, more=more)
