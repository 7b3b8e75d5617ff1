"""Admin field settings: picklist values (add, rename, reorder, deactivate) and custom fields.
They reach the form, list columns, filters and the import template with no code change."""

from __future__ import annotations

import re

from sqlmodel import Session, col, func, select, update

from crm_app.fields import DEFAULT_PICKLISTS, UNKNOWN
from crm_app.i18n import UserError
from crm_app.models import CustomField, Lead, PicklistValue, RawLead
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin

PICKLIST_FIELDS = tuple(DEFAULT_PICKLISTS)
CUSTOM_TYPES = ("text", "number", "date", "picklist")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def values(session: Session, field_key: str) -> list[PicklistValue]:
    return list(session.exec(select(PicklistValue).where(PicklistValue.field_key == field_key)
                             .order_by(col(PicklistValue.position), col(PicklistValue.id))))


def _check_field(field_key: str) -> None:
    if field_key not in PICKLIST_FIELDS and not field_key.startswith("cf_"):
        raise UserError("filter.invalid")


def add_value(session: Session, actor: Actor, field_key: str, value: str) -> None:
    require_admin(actor)
    _check_field(field_key)
    value = value.strip()[:128]
    if not value:
        raise UserError("validation.required", field=field_key)
    if any(v.value == value for v in values(session, field_key)):
        raise UserError("fields.value_exists", value=value)
    last = session.exec(select(func.max(PicklistValue.position))
                        .where(PicklistValue.field_key == field_key)).one() or 0
    session.add(PicklistValue(field_key=field_key, value=value, position=last + 1))
    audit.record(session=session, entity="picklist", entity_id=0, action="created", user_id=actor.id,
                 changes={field_key: [None, value]})


def _get(session: Session, value_id: int) -> PicklistValue:
    found = session.get(PicklistValue, value_id)
    if found is None:
        raise UserError("filter.not_found")
    if found.value == UNKNOWN:
        raise UserError("fields.unknown_fixed")
    return found


def rename_value(session: Session, actor: Actor, value_id: int, new_value: str) -> None:
    """Rename a value and the records holding it, so nothing is orphaned."""
    require_admin(actor)
    found = _get(session, value_id)
    new_value = new_value.strip()[:128]
    if not new_value:
        raise UserError("validation.required", field=found.field_key)
    if any(v.value == new_value and v.id != value_id for v in values(session, found.field_key)):
        raise UserError("fields.value_exists", value=new_value)
    old = found.value
    found.value = new_value
    session.add(found)
    # Custom picklists live in a JSON column: their stored values keep the old text.
    for table in (RawLead, Lead) if found.field_key in PICKLIST_FIELDS else ():
        column = getattr(table, found.field_key)
        session.exec(update(table).where(column == old).values({found.field_key: new_value}))
    audit.record(session=session, entity="picklist", entity_id=value_id, action="updated", user_id=actor.id,
                 changes={found.field_key: [old, new_value]})


def move_value(session: Session, actor: Actor, value_id: int, step: int) -> None:
    require_admin(actor)
    found = _get(session, value_id)
    ordered = [v for v in values(session, found.field_key) if v.value != UNKNOWN]
    i = next(i for i, v in enumerate(ordered) if v.id == value_id)
    j = min(max(0, i + step), len(ordered) - 1)
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for position, v in enumerate(ordered):
        v.position = position
        session.add(v)


def set_value_active(session: Session, actor: Actor, value_id: int, active: bool) -> None:
    require_admin(actor)
    found = _get(session, value_id)
    found.is_active = active
    session.add(found)


def custom_fields(session: Session) -> list[CustomField]:
    return list(session.exec(select(CustomField).order_by(col(CustomField.position), col(CustomField.id))))


def add_custom_field(session: Session, actor: Actor, *, key: str, label_vi: str, label_en: str,
                     field_type: str, options: str = "") -> CustomField:
    require_admin(actor)
    key = key.strip().lower()
    if not _KEY_RE.match(key):
        raise UserError("fields.key_invalid")
    if session.exec(select(CustomField.id).where(CustomField.key == key)).first() is not None:
        raise UserError("fields.key_exists", key=key)
    if not label_vi.strip():
        raise UserError("validation.required", field="Nhãn")
    if field_type not in CUSTOM_TYPES:
        raise UserError("filter.invalid")
    last = session.exec(select(func.max(CustomField.position))).one() or 0
    field = CustomField(key=key, label_vi=label_vi.strip()[:128], label_en=(label_en or label_vi).strip()[:128],
                        field_type=field_type, position=last + 1)
    session.add(field)
    session.flush()
    if field_type == "picklist":
        for position, value in enumerate([v.strip() for v in options.split(",") if v.strip()]):
            session.add(PicklistValue(field_key=f"cf_{key}", value=value[:128], position=position))
        session.add(PicklistValue(field_key=f"cf_{key}", value=UNKNOWN, position=9999))
    audit.record(session=session, entity="custom_field", entity_id=field.id or 0, action="created",
                 user_id=actor.id, changes={"key": [None, key]})
    return field


def set_custom_field_active(session: Session, actor: Actor, field_id: int, active: bool) -> None:
    require_admin(actor)
    session.exec(update(CustomField).where(col(CustomField.id) == field_id).values(is_active=active))
