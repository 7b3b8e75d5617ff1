"""The list's filter language: a condition ({field, op, value}) or a dashboard link as SQL terms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session

from crm_app.fields import STATUS_CONVERTED, FieldDef
from crm_app.i18n import UserError
from crm_app.models import RawLead, utcnow
from crm_app.services import clock, statuses
from crm_app.services.field_values import parse_date
from crm_app.services.incoming import ATTRIBUTION
from crm_app.services.phones import normalise_phone

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


def column_for(key: str, fields: dict[str, FieldDef], model: Any = RawLead) -> Any:
    """The column of `model` (RawLead or Lead) a list key names; UserError for any other key."""
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


def condition(session: Session, cond: dict[str, Any], fields: dict[str, FieldDef],
              model: Any = RawLead) -> ColumnElement[bool]:
    """One condition of the list's filter as a WHERE term; UserError("filter.invalid") when malformed."""
    key, op, value = cond.get("field", ""), cond.get("op", ""), cond.get("value")
    if op not in FILTER_OPS:
        raise UserError("filter.invalid")
    if op == "open":  # the dashboard's own definition, so its bars and this list agree
        return statuses.open_clause(session, model)
    column = column_for(str(key), fields, model)
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
        # A stored time is compared with the organisation's local days (the dashboard's days); only
        # this needs the zone, so only this reads it (a phone lookup does not).
        lower, upper = (clock.day_bounds(start_date, end_date, clock.zone(session)) if key in META_COLUMNS
                        else (start_date, end_date))
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
