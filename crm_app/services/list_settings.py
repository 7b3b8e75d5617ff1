"""List columns (admin default, user's own) and saved filters (personal or shared)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from crm_app.fields import DEFAULT_LIST_COLUMNS, raw_lead_fields
from crm_app.i18n import UserError
from crm_app.models import ListLayout, SavedFilter
from crm_app.services.auth import Actor, require_admin
from crm_app.services.raw_leads.filters import META_COLUMNS

MODULE = "raw_leads"


def available_columns(session: Session, locale: str = "vi") -> list[tuple[str, str]]:
    cols = [(f.key, f.label(locale)) for f in raw_lead_fields(session)
            if f.key not in ("description", "converted_lead_id")]
    cols += [(k, v[1] if locale == "en" else v[0]) for k, v in META_COLUMNS.items()]
    return cols


def _layout(session: Session, owner_id: int | None) -> ListLayout | None:
    return session.exec(select(ListLayout).where(
        ListLayout.module == MODULE, ListLayout.owner_id == owner_id)).first()


def columns_for(session: Session, actor: Actor) -> list[str]:
    known = {k for k, _ in available_columns(session)}
    for layout in (_layout(session, actor.id), _layout(session, None)):
        if layout is not None:
            cols = [c for c in layout.columns if c in known]
            if cols:
                return cols
    return list(DEFAULT_LIST_COLUMNS)


def save_columns(session: Session, actor: Actor, columns: list[str], *, as_default: bool) -> None:
    """A user saves their own columns; an admin may save the default for everyone."""
    if as_default:
        require_admin(actor)
    known = {k for k, _ in available_columns(session)}
    cleaned = list(dict.fromkeys(c for c in columns if c in known))
    if not cleaned:
        raise UserError("columns.empty")
    owner = None if as_default else actor.id
    layout = _layout(session, owner) or ListLayout(module=MODULE, owner_id=owner)
    layout.columns = cleaned
    session.add(layout)


def reset_columns(session: Session, actor: Actor) -> None:
    layout = _layout(session, actor.id)
    if layout is not None:
        session.delete(layout)


def list_filters(session: Session, actor: Actor) -> list[SavedFilter]:
    return list(session.exec(
        select(SavedFilter)
        .where(SavedFilter.module == MODULE,
               or_(col(SavedFilter.owner_id).is_(None), SavedFilter.owner_id == actor.id))
        .order_by(col(SavedFilter.owner_id).is_not(None), SavedFilter.name)))


def get_filter(session: Session, actor: Actor, filter_id: int) -> SavedFilter:
    found = session.get(SavedFilter, filter_id)
    if found is None or found.owner_id not in (None, actor.id):
        raise UserError("filter.not_found")
    return found


def save_filter(session: Session, actor: Actor, name: str, conditions: list[dict[str, Any]], *,
                shared: bool) -> SavedFilter:
    if shared:
        require_admin(actor)
    name = name.strip()
    if not name:
        raise UserError("filter.name_required")
    if not conditions:
        raise UserError("filter.empty")
    saved = SavedFilter(module=MODULE, name=name[:128], owner_id=None if shared else actor.id,
                        conditions=conditions)
    session.add(saved)
    session.flush()
    return saved


def delete_filter(session: Session, actor: Actor, filter_id: int) -> None:
    found = get_filter(session, actor, filter_id)
    if found.owner_id is None:
        require_admin(actor)
    session.delete(found)


def rename_filter(session: Session, actor: Actor, filter_id: int, name: str) -> SavedFilter:
    """Same rights as deleting: the owner renames their own; only an admin a shared one."""
    found = get_filter(session, actor, filter_id)
    if found.owner_id is None:
        require_admin(actor)
    name = name.strip()
    if not name:
        raise UserError("filter.name_required")
    found.name = name[:128]
    session.add(found)
    return found
