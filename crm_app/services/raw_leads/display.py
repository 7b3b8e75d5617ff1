"""Values as shown: on screen, in the export and in form inputs (times in the org's zone, phones 0…)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from crm_app.fields import FieldDef, raw_lead_fields
from crm_app.models import Lead, RawLead, User
from crm_app.services import clock, field_values
from crm_app.services.field_values import format_date
from crm_app.services.incoming import ATTRIBUTION
from crm_app.services.phones import display_phone
from crm_app.services.raw_leads.validation import CONTACT_KEYS

NAME_KEY = "_name"  # a list row's full name, the link to its record whatever columns are shown


def display_value(record: RawLead | Lead, key: str, users: dict[int, str], tz: tzinfo,
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


def full_name(record: RawLead | Any) -> str:
    """Họ + Tên, as a Vietnamese name is written; a record with only one of them shows that one."""
    return f"{record.last_name or ''} {record.first_name or ''}".strip()


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.full_name).where(col(User.id).in_(ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def display_values(session: Session, record: RawLead, *, locale: str = "vi"
                   ) -> list[tuple[FieldDef, str]]:
    users = user_names(session, {record.assigned_to_id})
    fields = raw_lead_fields(session)
    by_key = {fd.key: fd for fd in fields}
    tz = clock.zone(session)
    shown = [(fd, display_value(record, fd.key, users, tz, by_key)) for fd in fields]
    # An ad lead's attribution only means something on ad leads: not nine empty rows on the others.
    return [(fd, value) for fd, value in shown if value or fd.key not in ATTRIBUTION]


def form_values(record: RawLead | Lead, session: Session) -> dict[str, str]:
    """The record as form inputs: ISO dates for <input type=date>, 0… phones."""
    tz = clock.zone(session)
    values = {k: display_value(record, k, {}, tz) for k in CONTACT_KEYS}
    values["birthday"] = record.birthday.isoformat() if record.birthday else ""
    values["status"] = record.status
    values["assigned_to"] = str(record.assigned_to_id)
    for fd in raw_lead_fields(session):
        if fd.custom:
            values[fd.key] = str((record.custom or {}).get(fd.key[3:]) or "")
    return values
