"""Raw leads (KH thô): validation, create/update/delete, the list query, bulk actions,
access rules, duplicates warning and export. UI, CLI and channels all come through here."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from openpyxl import Workbook
from sqlalchemy import ColumnElement, and_, column, delete, false, func, or_, table, text, update
from sqlmodel import Session, col, select

from crm_app.db import is_sqlite
from crm_app.fields import (
    INPUT_MANUAL,
    STATUS_CONVERTED,
    STATUS_NEW,
    FieldDef,
    picklist_values,
    raw_lead_fields,
)
from crm_app.i18n import UserError, t
from crm_app.models import ContactFields, Lead, RawLead, User, utcnow
from crm_app.services import audit, clock, field_values, statuses
from crm_app.services.auth import Actor, PermissionDenied, require_admin
from crm_app.services.field_values import format_date, parse_date
from crm_app.services.incoming import ATTRIBUTION
from crm_app.services.org import visibility
from crm_app.services.phones import display_phone, normalise_phone
from crm_app.services.reference_data import VISIBILITY_OWN
from crm_app.services.spreadsheet import safe_cell
from crm_app.services.text import derived_keys, fold

PAGE_SIZES = (25, 50, 100)
# Columns the list may sort by: an allow-list, never a client string in SQL.
SORT_COLUMNS: dict[str, Any] = {
    "last_name": RawLead.last_name, "first_name": RawLead.first_name,
    "mobile": RawLead.mobile, "phone": RawLead.phone, "email": RawLead.email_key,
    "company": RawLead.company, "title": RawLead.title, "lead_source": RawLead.lead_source,
    "customer_type": RawLead.customer_type, "birthday": RawLead.birthday,
    "province": RawLead.province, "district": RawLead.district, "ward": RawLead.ward,
    "status": RawLead.status, "input_source": RawLead.input_source,
    "zalo_user_id": RawLead.zalo_user_id, "facebook_psid": RawLead.facebook_psid,
    "assigned_to": RawLead.assigned_to_id, "created_at": RawLead.created_at,
    "modified_at": RawLead.modified_at, "salutation": RawLead.salutation,
    "last_contacted_at": RawLead.last_contacted_at, "next_task_at": RawLead.next_task_at,
}
META_COLUMNS: dict[str, tuple[str, str]] = {
    "created_at": ("Ngày tạo", "Created"),
    "modified_at": ("Ngày sửa", "Modified"),
    # Kept by services/activities.py (indexed): sorted and filtered in SQL like any column.
    "last_contacted_at": ("Lần liên hệ cuối", "Last contact"),
    "next_task_at": ("Việc tiếp theo", "Next task"),
}
# "past": a time before now ("có việc quá hạn" is next_task_at past); "open": the record is an open
# raw lead (services/statuses.py), whatever the field.
FILTER_OPS = ("eq", "contains", "empty", "not_empty", "in", "between", "past", "open")
CONTACT_KEYS = (
    "salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
    "website", "lead_source", "customer_type", "birthday", "street", "ward", "district",
    "province", "country", "description",
)
EDITABLE_KEYS = (*CONTACT_KEYS, "status")


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


def import_job_id(text: str) -> int | None:
    """An import id from a link (?import=12); None for anything that is not one."""
    return int(text) if text.isdigit() and len(text) <= 9 else None  # an id, not an overflow


def link_conditions(params: Mapping[str, str]) -> list[dict[str, Any]]:
    """The list's conditions for a link from the dashboard (?input_source=…&from=…&to=…&open=1):
    the same predicates the dashboard counted with, so a bar and the list it opens agree."""
    out: list[dict[str, Any]] = []
    if params.get("input_source"):
        out.append({"field": "input_source", "op": "eq", "value": params["input_source"]})
    if params.get("ad_form_id"):  # the dashboard's ad leads per lead form
        out.append({"field": "ad_form_id", "op": "eq", "value": params["ad_form_id"][:64]})
    if params.get("from") or params.get("to"):
        # Local days of the organisation (services/clock.py), like the dashboard's days.
        out.append({"field": "created_at", "op": "between", "value": [params.get("from", ""), params.get("to", "")]})
    if params.get("assigned_to", "").isdigit():
        out.append({"field": "assigned_to", "op": "eq", "value": params["assigned_to"]})
    if params.get("converted") == "1":
        out.append({"field": "status", "op": "eq", "value": STATUS_CONVERTED})
    if params.get("open") == "1":
        out.append({"field": "status", "op": "open", "value": ""})
    return out


@dataclass
class ListPage:
    rows: list[dict[str, str]]
    total: int
    page: int
    page_size: int
    more: bool = False  # the total is at least COUNT_CAP: counting further would scan the table


COUNT_CAP = 10_000


class ValidationFailed(UserError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("validation.failed")
        self.errors = errors


# ---------------------------------------------------------------- access

def _visible_clause(session: Session, actor: Actor, model: Any = RawLead) -> ColumnElement[bool] | None:
    """The org's visibility setting, for raw leads and leads alike."""
    if actor.is_admin or visibility(session=session) != VISIBILITY_OWN:
        return None
    return col(model.assigned_to_id) == actor.id


def owner_rule(session: Session, actor: Actor) -> Callable[[int | None], bool]:
    """Whether the actor may see and edit a record, by its assignee: the list's and the detail
    page's rule, which the import also applies to the records it would overwrite or merge."""
    if _visible_clause(session, actor) is None:
        return lambda _owner: True
    return lambda owner: owner == actor.id


def can_see(session: Session, actor: Actor, record: ContactFields) -> bool:
    return owner_rule(session, actor)(record.assigned_to_id)


def get_visible(session: Session, actor: Actor, record_id: int) -> RawLead:
    record = session.get(RawLead, record_id)
    if record is None or not can_see(session, actor, record):
        raise UserError("raw_lead.not_found")
    return record


# ---------------------------------------------------------------- validation

def _user_id_for(session: Session, value: str) -> int | None:
    return field_values.Lookups(session).user_id(value.strip()) if value.strip() else None


# field_values' rule → the form's message
_FORM_MESSAGES = {"partial_date": "validation.date"}


def validate(session: Session, values: dict[str, Any], *, locale: str = "vi",
             lookups: field_values.Lookups | None = None) -> dict[str, Any]:
    """Clean form values into column values (custom fields under "custom"), or raise
    ValidationFailed with a message per field. Each value is parsed by `field_values.parse`."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    lookups = lookups or field_values.Lookups(session)
    for fd in raw_lead_fields(session):
        if fd.key not in values or not (fd.key in EDITABLE_KEYS or fd.custom or fd.key == "assigned_to"):
            continue
        try:
            value = field_values.parse(fd, values[fd.key], lookups)
        except field_values.BadValue as bad:
            errors[fd.key] = t(_FORM_MESSAGES.get(bad.code, f"validation.{bad.code}"), locale,
                               field=fd.label(locale))
            value = None
        else:
            if value is None and (fd.required or fd.key == "assigned_to"):
                errors[fd.key] = t("validation.required", locale, field=fd.label(locale))
        if fd.custom:
            custom[fd.key.removeprefix("cf_")] = value
        elif fd.key == "assigned_to":
            clean["assigned_to_id"] = value
        else:
            clean[fd.key] = value
    if custom:
        clean["custom"] = custom
    if errors:
        raise ValidationFailed(errors)
    return clean


def with_derived_keys(values: dict[str, Any], record: RawLead | Lead | None = None) -> dict[str, Any]:
    """Add the match and search keys derived from the contact fields (record values as defaults)."""
    merged = {k: getattr(record, k) for k in CONTACT_KEYS} if record else {}
    merged.update({k: v for k, v in values.items() if k in CONTACT_KEYS})
    values.update(derived_keys(merged))
    return values


# ---------------------------------------------------------------- create / update / delete

def create(session: Session, actor: Actor, values: dict[str, Any], *, locale: str = "vi",
           input_source: str = INPUT_MANUAL, source: str = "manual") -> RawLead:
    values = {"assigned_to": str(actor.id), **values}
    clean = validate(session, values, locale=locale)
    clean["status"] = clean.get("status") or STATUS_NEW
    record = RawLead(**with_derived_keys(clean), input_source=input_source, created_by_id=actor.id,
                     modified_by_id=actor.id)
    session.add(record)
    session.flush()
    assert record.id is not None
    audit.record(session=session, entity="raw_lead", entity_id=record.id, action="created",
                 user_id=actor.id, source=source,
                 changes={"input_source": [None, input_source]})
    return record


def plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def update_record(session: Session, actor: Actor, record_id: int, values: dict[str, Any], *,
                  locale: str = "vi", source: str = "manual") -> RawLead:
    record = get_visible(session, actor, record_id)
    clean = validate(session, values, locale=locale)
    changes: dict[str, list[Any]] = {}
    if "custom" in clean:
        merged_custom = {**(record.custom or {}), **clean.pop("custom")}
        if merged_custom != (record.custom or {}):
            changes["custom"] = [record.custom, merged_custom]
            record.custom = merged_custom
    for key, value in with_derived_keys(clean, record).items():
        old = getattr(record, key)
        if old != value:
            if key not in ("search_text", "email_key"):
                changes[key] = [plain(old), plain(value)]
            setattr(record, key, value)
    if changes:
        record.modified_at = utcnow()
        record.modified_by_id = actor.id
        session.add(record)
        audit.record(session=session, entity="raw_lead", entity_id=record_id, action="updated",
                     user_id=actor.id, source=source, changes=changes)
    return record


def delete_records(session: Session, actor: Actor, ids: list[int]) -> int:
    require_admin(actor)
    if not ids:
        return 0
    found = list(session.exec(select(RawLead.id).where(col(RawLead.id).in_(ids))))
    for rid in found:
        audit.record(session=session, entity="raw_lead", entity_id=rid or 0, action="deleted",
                     user_id=actor.id)
    session.exec(delete(RawLead).where(col(RawLead.id).in_(found)))
    return len(found)


def _bulk_target_ids(session: Session, actor: Actor, ids: list[int]) -> list[int]:
    """Users may act in bulk on their own records only; admins on any."""
    if not ids:
        return []
    query = select(RawLead.id, RawLead.assigned_to_id).where(col(RawLead.id).in_(ids))
    rows = session.exec(query).all()
    if not actor.is_admin and any(owner != actor.id for _, owner in rows):
        raise PermissionDenied("raw_lead.bulk_others")
    return [rid for rid, _ in rows if rid is not None]


def _bulk_set(session: Session, actor: Actor, ids: list[int], key: str, value: Any) -> int:
    """Set one column on the records the actor may act on, each change on its timeline."""
    targets = _bulk_target_ids(session, actor, ids)
    column = getattr(RawLead, key)
    for rid, old in session.exec(select(RawLead.id, column).where(col(RawLead.id).in_(targets))).all():
        if old != value:
            audit.record(session=session, entity="raw_lead", entity_id=rid or 0, action="updated",
                         user_id=actor.id, source="bulk", changes={key: [old, value]})
    session.exec(update(RawLead).where(col(RawLead.id).in_(targets))
                 .values({key: value, "modified_at": utcnow(), "modified_by_id": actor.id}))
    return len(targets)


def bulk_assign(session: Session, actor: Actor, ids: list[int], assignee: str) -> int:
    user_id = _user_id_for(session, assignee)
    if user_id is None:
        raise UserError("validation.user", field="Giao cho")
    return _bulk_set(session, actor, ids, "assigned_to_id", user_id)


def bulk_status(session: Session, actor: Actor, ids: list[int], status: str) -> int:
    if status not in picklist_values(session, "status"):
        raise UserError("validation.picklist", field="Trạng thái")
    return _bulk_set(session, actor, ids, "status", status)


def find_duplicates(session: Session, actor: Actor, *, mobile: str = "", email: str = "",
                    exclude_id: int | None = None) -> list[dict[str, str]]:
    """Existing raw leads with the same mobile or email (for the warning before saving)."""
    clauses = []
    if (phone := normalise_phone(mobile)) is not None:
        clauses.append(col(RawLead.mobile) == phone)
    if email.strip():
        clauses.append(col(RawLead.email_key) == email.strip().lower())
    if not clauses:
        return []
    # sqlmodel types select() for at most four columns; five work the same at run time.
    query = select(RawLead.id, RawLead.last_name, RawLead.first_name, RawLead.mobile,  # type: ignore[call-overload]
                   RawLead.email).where(or_(*clauses))
    if exclude_id:
        query = query.where(col(RawLead.id) != exclude_id)
    if (vis := _visible_clause(session, actor)) is not None:
        query = query.where(vis)
    return [{"id": str(r[0]), "name": f"{r[1] or ''} {r[2]}".strip(),
             "mobile": display_phone(r[3]), "email": r[4] or ""}
            for r in session.exec(query.limit(5)).all()]


# ---------------------------------------------------------------- the list

def _column_for(key: str, fields: dict[str, FieldDef], model: Any = RawLead) -> Any:
    if key == "assigned_to":
        return model.assigned_to_id
    if key in SORT_COLUMNS:
        return getattr(model, SORT_COLUMNS[key].key)
    if key in ("street", "website", "description", "zalo_name", "facebook_name", *ATTRIBUTION):
        return getattr(model, key)
    fd = fields.get(key)
    if fd is not None and fd.custom:
        return model.custom[key.removeprefix("cf_")].as_string()
    raise UserError("filter.invalid")


def _condition(session: Session, cond: dict[str, Any], fields: dict[str, FieldDef], tz: tzinfo,
               model: Any = RawLead) -> ColumnElement[bool]:
    key, op, value = cond.get("field", ""), cond.get("op", ""), cond.get("value")
    if op not in FILTER_OPS:
        raise UserError("filter.invalid")
    if op == "open":  # the dashboard's own definition, so its bars and this list agree
        return statuses.open_clause(session, model)
    column = _column_for(str(key), fields, model)
    fd = fields.get(str(key))
    if op == "empty":
        return or_(column.is_(None), column == "") if fd and fd.type not in ("date",) \
            and key != "assigned_to" else column.is_(None)
    if op == "not_empty":
        return and_(column.is_not(None), column != "") if fd and fd.type not in ("date",) \
            and key != "assigned_to" else column.is_not(None)
    if op == "past":
        if key not in META_COLUMNS:
            raise UserError("filter.invalid")
        return column < utcnow()
    if op == "in":
        items = [str(v) for v in (value or [])][:100]
        return column.in_(items) if items else false()
    if op == "between":
        start, end = (list(value or []) + ["", ""])[:2]
        parts = []
        start_date, end_date = parse_date(str(start)), parse_date(str(end))
        # A stored time is compared with the organisation's local days (the dashboard's days).
        lower, upper = clock.day_bounds(start_date, end_date, tz) if key in META_COLUMNS else (start_date, end_date)
        if lower:
            parts.append(column >= lower)
        if upper:
            parts.append(column < upper if key in META_COLUMNS else column <= upper)
        return and_(*parts) if parts else column.is_not(None) | column.is_(None)
    text = str(value or "").strip()
    if fd and fd.type == "phone":
        text = normalise_phone(text) or text
    if key == "assigned_to":
        return column == (int(text) if text.isdigit() else -1)
    if op == "eq":
        return column == text
    return column.contains(text, autoescape=True)


_FTS = table("raw_leads_fts", column("rowid"))


def _search_clause(session: Session, search: str, model: Any = RawLead) -> ColumnElement[bool] | None:
    """Every word must occur in the folded name/phones/email/company.

    On SQLite, words of three characters or more go through the FTS5 trigram index (see
    migration 0002); on PostgreSQL the pg_trgm index serves the LIKE itself."""
    search = search.strip()
    if not search:
        return None
    phone = normalise_phone(search)
    words = [fold(phone)] if phone is not None else fold(search).split()[:6]
    likes = [col(model.search_text).contains(word, autoescape=True) for word in words]
    indexed = [w for w in words if len(w) >= 3]
    if not indexed or not is_sqlite(session) or model is not RawLead:  # the FTS table indexes raw leads
        return and_(*likes)
    match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    fts_ids = select(_FTS.c.rowid).where(text("raw_leads_fts MATCH :fts_query").bindparams(fts_query=match))
    short = [like for w, like in zip(words, likes, strict=True) if len(w) < 3]
    return and_(col(RawLead.id).in_(fts_ids), *short)


def filtered(session: Session, actor: Actor, query: ListQuery, model: Any = RawLead) -> list[ColumnElement[bool]]:
    """The list's WHERE clauses: conditions, quick search, time bounds and visibility; `model` is
    RawLead or Lead (same contact columns)."""
    fields = {f.key: f for f in raw_lead_fields(session)}
    tz = clock.zone(session)
    where = [_condition(session, c, fields, tz, model) for c in query.conditions[:20]]
    if (clause := _search_clause(session, query.search, model)) is not None:
        where.append(clause)
    if query.import_job_id is not None:
        where.append(col(model.import_job_id) == query.import_job_id)
    where += time_bounds(model, query)
    where.append(col(model.merged_into).is_(None))  # merged into another record: shown there, not here
    if (vis := _visible_clause(session, actor, model)) is not None:
        where.append(vis)
    return where


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


# ---------------------------------------------------------------- keyset pages (REST API)

@dataclass
class KeysetPage:
    records: list[Any]
    total: int
    next_after: int | None  # the last id of this page when more records follow


def keyset_page(session: Session, model: Any, where: list[ColumnElement[bool]], *, after: int | None,
                limit: int) -> KeysetPage:
    """Records in id order after the id `after`: a page never skips or repeats a record while
    others are added (new ids come last), unlike OFFSET. `total` counts every page."""
    total = session.exec(select(func.count()).select_from(model).where(*where)).one()
    page_where = [*where, col(model.id) > after] if after is not None else where
    records = list(session.exec(select(model).where(*page_where).order_by(col(model.id)).limit(limit + 1)))
    more = len(records) > limit
    records = records[:limit]
    return KeysetPage(records, total, records[-1].id if more else None)


def _display(record: RawLead | Lead, key: str, users: dict[int, str], tz: tzinfo,
             fields: dict[str, FieldDef] | None = None) -> str:
    """A value as shown on screen and in the export (times in the organisation's zone, `tz`);
    `fields` gives custom fields their type."""
    if key == "assigned_to":
        return users.get(record.assigned_to_id or 0, "")
    if key.startswith("cf_"):
        return field_values.display((fields or {}).get(key), (record.custom or {}).get(key[3:]))
    value = getattr(record, key, None)
    if value is None:
        return ""
    if key in ("mobile", "phone"):
        return display_phone(value)
    if isinstance(value, datetime):
        return clock.fmt_datetime(value, tz)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


NAME_KEY = "_name"  # a list row's full name, the link to its record whatever columns are shown


def full_name(record: RawLead | Any) -> str:
    """Họ + Tên, as a Vietnamese name is written; a record with only one of them shows that one."""
    return f"{record.last_name or ''} {record.first_name or ''}".strip()


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.full_name).where(col(User.id).in_(ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


CARE_SORTS = ("last_contacted_at", "next_task_at")


def care_order(column: Any, key: str, descending: bool) -> Any:
    """The sort term; the care columns put empty values where PostgreSQL's index has them (last going
    up, first going down) on both databases, so "Việc tiếp theo" ascending starts with the soonest task."""
    term = column.desc() if descending else column.asc()
    if key in CARE_SORTS:
        term = term.nulls_first() if descending else term.nulls_last()
    return term


def list_page(session: Session, actor: Actor, query: ListQuery, columns: list[str]) -> ListPage:
    where = filtered(session, actor, query)
    capped = select(RawLead.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    more = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    sort_col = SORT_COLUMNS.get(query.sort, RawLead.created_at)
    order = [care_order(sort_col, query.sort, query.descending),
             col(RawLead.id).desc() if query.descending else col(RawLead.id).asc()]
    page_size = query.page_size if query.page_size in PAGE_SIZES else 50
    pages = max(1, -(-total // page_size))
    page = max(1, query.page) if more else min(max(1, query.page), pages)
    records = session.exec(select(RawLead).where(*where).order_by(*order)
                           .offset((page - 1) * page_size).limit(page_size)).all()
    users = user_names(session, {r.assigned_to_id for r in records})
    fields = {f.key: f for f in raw_lead_fields(session) if f.custom}
    tz = clock.zone(session)
    rows = [{"id": str(r.id), NAME_KEY: full_name(r), **{c: _display(r, c, users, tz, fields) for c in columns}}
            for r in records]
    return ListPage(rows=rows, total=total, page=page, page_size=page_size, more=more)


# ---------------------------------------------------------------- detail and export

def display_values(session: Session, record: RawLead, *, locale: str = "vi"
                   ) -> list[tuple[FieldDef, str]]:
    users = user_names(session, {record.assigned_to_id})
    fields = raw_lead_fields(session)
    by_key = {fd.key: fd for fd in fields}
    tz = clock.zone(session)
    shown = [(fd, _display(record, fd.key, users, tz, by_key)) for fd in fields]
    # An ad lead's attribution only means something on ad leads: not nine empty rows on the others.
    return [(fd, value) for fd, value in shown if value or fd.key not in ATTRIBUTION]


def form_values(record: RawLead | Lead, session: Session) -> dict[str, str]:
    """The record as form inputs: ISO dates for <input type=date>, 0… phones."""
    tz = clock.zone(session)
    values = {k: _display(record, k, {}, tz) for k in CONTACT_KEYS}
    values["birthday"] = record.birthday.isoformat() if record.birthday else ""
    values["status"] = record.status
    values["assigned_to"] = str(record.assigned_to_id)
    for fd in raw_lead_fields(session):
        if fd.custom:
            values[fd.key] = str((record.custom or {}).get(fd.key[3:]) or "")
    return values


def export_xlsx(session: Session, actor: Actor, query: ListQuery | None = None) -> bytes:
    """Every field as a column with Vietnamese labels; phones as 0XXXXXXXXX (DESIGN §5)."""
    query = query or ListQuery()
    fields = [f for f in raw_lead_fields(session) if f.key != "converted_lead_id"]
    by_key = {f.key: f for f in fields}
    where = filtered(session, actor, query)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("KH thô")
    ws.append(["ID", *[f.label_vi for f in fields], "Ngày tạo"])
    users = user_names(session, set(session.exec(select(User.id)).all()) - {None})  # type: ignore[arg-type]
    tz = clock.zone(session)
    last_id = 0
    while True:
        batch = session.exec(select(RawLead).where(*where, col(RawLead.id) > last_id)
                             .order_by(col(RawLead.id)).limit(2000)).all()
        if not batch:
            break
        for r in batch:
            ws.append([r.id, *[safe_cell(_display(r, f.key, users, tz, by_key)) for f in fields],
                       _display(r, "created_at", users, tz)])
        last_id = batch[-1].id or last_id
        session.expunge_all()
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def mark_converted(session: Session, record: RawLead, lead_id: int, actor_id: int | None,
                   source: str) -> None:
    old = record.status
    record.status = STATUS_CONVERTED
    record.converted_lead_id = lead_id
    record.modified_at = utcnow()
    session.add(record)
    assert record.id is not None
    audit.record(session=session, entity="raw_lead", entity_id=record.id, action="converted",
                 user_id=actor_id, source=source,
                 changes={"status": [old, STATUS_CONVERTED], "converted_lead_id": [None, lead_id]})

