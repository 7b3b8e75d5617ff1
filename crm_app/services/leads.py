"""Leads: the list and the detail. Same access rule as raw leads (org visibility setting)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from crm_app.fields import raw_lead_fields
from crm_app.i18n import UserError
from crm_app.models import Lead, utcnow
from crm_app.services import audit, raw_leads
from crm_app.services.auth import Actor
from crm_app.services.raw_leads import COUNT_CAP, ListPage, ListQuery, _display, can_see, user_names

LEAD_COLUMNS = ("last_name", "first_name", "mobile", "email", "company", "input_source", "status", "assigned_to",
                "created_at")
SORTS = {"created_at": Lead.created_at, "last_name": Lead.last_name, "first_name": Lead.first_name,
         "company": Lead.company, "status": Lead.status, "input_source": Lead.input_source}


def filtered(session: Session, actor: Actor, query: ListQuery) -> list:
    """The raw-lead list's filters, quick search and visibility, on leads."""
    return raw_leads.filtered(session, actor, query, model=Lead)


def list_page(session: Session, actor: Actor, *, search: str = "", sort: str = "created_at", descending: bool = True,
              page: int = 1, page_size: int = 50) -> ListPage:
    where = filtered(session, actor, ListQuery(search=search))
    capped = select(Lead.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    column = SORTS.get(sort, Lead.created_at)
    records = session.exec(select(Lead).where(*where)
                           .order_by(column.desc() if descending else column.asc(), col(Lead.id).desc())
                           .offset((max(1, page) - 1) * page_size).limit(page_size)).all()
    users = user_names(session, {r.assigned_to_id for r in records})
    rows = [{"id": str(r.id), raw_leads.NAME_KEY: raw_leads.full_name(r),
             **{c: _display(r, c, users) for c in LEAD_COLUMNS}} for r in records]  # type: ignore[arg-type]
    return ListPage(rows=rows, total=min(total, COUNT_CAP), page=max(1, page), page_size=page_size,
                    more=total > COUNT_CAP)


def get_visible(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None or not can_see(session, actor, lead):
        raise UserError("lead.not_found")
    return lead


def display_values(session: Session, lead: Lead, locale: str = "vi") -> list[dict[str, str]]:
    users = user_names(session, {lead.assigned_to_id})
    fields = raw_lead_fields(session)
    by_key = {fd.key: fd for fd in fields}
    return [{"label": fd.label(locale), "value": _display(lead, fd.key, users, by_key)}  # type: ignore[arg-type]
            for fd in fields if fd.key not in ("converted_lead_id", "description")]


def update_lead(session: Session, actor: Actor, lead_id: int, values: dict[str, Any], *, locale: str = "vi") -> Lead:
    """Same validation as raw leads (one field registry); every change goes to the Lead's timeline."""
    lead = get_visible(session, actor, lead_id)
    clean = raw_leads.validate(session, values, locale=locale)
    changes: dict[str, list[Any]] = {}
    if "custom" in clean:
        merged = {**(lead.custom or {}), **clean.pop("custom")}
        if merged != (lead.custom or {}):
            changes["custom"] = [lead.custom, merged]
            lead.custom = merged
    for key, value in raw_leads.with_derived_keys(clean, lead).items():
        old = getattr(lead, key)
        if old != value:
            if key not in ("search_text", "email_key"):
                changes[key] = [raw_leads.plain(old), raw_leads.plain(value)]
            setattr(lead, key, value)
    if changes:
        lead.modified_at, lead.modified_by_id = utcnow(), actor.id
        session.add(lead)
        audit.record(session=session, entity="lead", entity_id=lead_id, action="updated", user_id=actor.id,
                     changes=changes)
    return lead
