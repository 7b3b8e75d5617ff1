"""Raw-lead records: create, update, delete, bulk assign/status, the duplicates warning, conversion mark."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from crm_app.fields import INPUT_MANUAL, STATUS_CONVERTED, STATUS_NEW, picklist_values
from crm_app.i18n import UserError
from crm_app.models import Lead, RawLead, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, PermissionDenied, require_admin
from crm_app.services.phones import display_phone, normalise_phone
from crm_app.services.raw_leads.access import get_visible, visible_clause
from crm_app.services.raw_leads.validation import user_id_for, validate, with_derived_keys


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


def apply_values(record: RawLead | Lead, clean: dict[str, Any]) -> dict[str, list[Any]]:
    """Set validated values (custom fields merged, derived keys recomputed) on a raw lead or a
    lead; the changes as the timeline records them ([old, new], derived keys left out)."""
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
    return changes


def update_record(session: Session, actor: Actor, record_id: int, values: dict[str, Any], *,
                  locale: str = "vi", source: str = "manual") -> RawLead:
    record: RawLead = get_visible(session, actor, record_id)
    changes = apply_values(record, validate(session, values, locale=locale))
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
    user_id = user_id_for(session, assignee)
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
    if (vis := visible_clause(session, actor)) is not None:
        query = query.where(vis)
    return [{"id": str(r[0]), "name": f"{r[1] or ''} {r[2]}".strip(),
             "mobile": display_phone(r[3]), "email": r[4] or ""}
            for r in session.exec(query.limit(5)).all()]


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
