"""What a status means, and the one definition of an "open" raw lead.

Each status picklist value carries a meaning (open / converted / closed) that an admin sets when
adding the value. An open raw lead is one not converted to a Lead whose status does not mean
converted or closed. The dashboard's workload, least-open assignment and the list the dashboard
opens all use `open_clause`, so they count the same records whatever statuses an admin adds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlmodel import Session, col, select

from crm_app.fields import (
    BUILTIN_STATUS_MEANINGS,
    MEANING_CONVERTED,
    MEANING_OPEN,
    STATUS_MEANINGS,
)
from crm_app.i18n import UserError
from crm_app.models import PicklistValue, RawLead

STATUS_FIELD = "status"


def check_meaning(meaning: str) -> str:
    if meaning not in STATUS_MEANINGS:
        raise UserError("fields.meaning_invalid")
    return meaning


def default_meaning(value: str) -> str:
    """A new status value's meaning when none is given: the guide's for a built-in name, else open."""
    return BUILTIN_STATUS_MEANINGS.get(value, MEANING_OPEN)


def meanings(session: Session) -> dict[str, str]:
    """Every status value (active or not) → its meaning; a value without one counts as open."""
    rows = session.exec(select(PicklistValue.value, PicklistValue.meaning)
                        .where(PicklistValue.field_key == STATUS_FIELD)).all()
    return {value: meaning or MEANING_OPEN for value, meaning in rows}


def not_open_statuses(session: Session) -> list[str]:
    """Status values meaning converted or closed (one small indexed read)."""
    return sorted(v for v, m in meanings(session).items() if m != MEANING_OPEN)


def converted_statuses(session: Session) -> list[str]:
    return sorted(v for v, m in meanings(session).items() if m == MEANING_CONVERTED)


def open_clause(session: Session, model: Any = RawLead) -> ColumnElement[bool]:
    """THE open predicate, in SQL. A status no longer in the picklist counts as open (still work to
    do); a raw lead linked to a Lead is never open. `model` is RawLead or Lead."""
    parts: list[ColumnElement[bool]] = []
    if hasattr(model, "converted_lead_id"):
        parts.append(col(model.converted_lead_id).is_(None))
    if closed := not_open_statuses(session):
        parts.append(col(model.status).not_in(closed))
    return and_(*parts) if parts else true()
