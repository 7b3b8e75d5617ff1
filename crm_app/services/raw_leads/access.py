"""Who may see and edit a raw lead or a lead: the org's visibility setting, as a rule and as SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from crm_app.i18n import UserError
from crm_app.models import ContactFields, RawLead
from crm_app.services.auth import Actor
from crm_app.services.org import visibility
from crm_app.services.reference_data import VISIBILITY_OWN


def visible_clause(session: Session, actor: Actor, model: Any = RawLead) -> ColumnElement[bool] | None:
    """The org's visibility setting as a WHERE clause, for raw leads and leads alike (None: all)."""
    if actor.is_admin or visibility(session=session) != VISIBILITY_OWN:
        return None
    return col(model.assigned_to_id) == actor.id


def owner_rule(session: Session, actor: Actor) -> Callable[[int | None], bool]:
    """Whether the actor may see and edit a record, by its assignee: the list's and the detail
    page's rule, which the import also applies to the records it would overwrite or merge."""
    if visible_clause(session, actor) is None:
        return lambda _owner: True
    return lambda owner: owner == actor.id


def can_see(session: Session, actor: Actor, record: ContactFields) -> bool:
    return owner_rule(session, actor)(record.assigned_to_id)


def get_visible(session: Session, actor: Actor, record_id: int, model: Any = RawLead,
                not_found: str = "raw_lead.not_found") -> Any:
    """The record of `model` (RawLead or Lead) by id, or UserError(`not_found`) when it does not
    exist or the actor may not see it (the same answer)."""
    record = session.get(model, record_id)
    if record is None or not can_see(session, actor, record):
        raise UserError(not_found)
    return record
