"""Leads: the list and the detail. Same access rule as raw leads (org visibility setting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from crm_app.fields import BUILTIN_BY_KEY, MEANING_OPEN, UNKNOWN, picklist_values, raw_lead_fields
from crm_app.i18n import UserError, t
from crm_app.models import Lead, PicklistValue, utcnow
from crm_app.services import audit, clock
from crm_app.services.auth import Actor
from crm_app.services.incoming import ATTRIBUTION
from crm_app.services.raw_leads import access, query
from crm_app.services.raw_leads.display import display_value, user_names
from crm_app.services.raw_leads.query import ListPage, ListQuery
from crm_app.services.raw_leads.records import apply_values
from crm_app.services.raw_leads.validation import ValidationFailed, validate

LEAD_COLUMNS = ("last_name", "first_name", "mobile", "email", "company", "input_source", "status", "assigned_to",
                "created_at", "last_contacted_at", "next_task_at")
SORTS = {"created_at": Lead.created_at, "last_name": Lead.last_name, "first_name": Lead.first_name,
         "company": Lead.company, "status": Lead.status, "input_source": Lead.input_source,
         "last_contacted_at": Lead.last_contacted_at, "next_task_at": Lead.next_task_at}


def filtered(session: Session, actor: Actor, list_query: ListQuery) -> list:
    """The raw-lead list's filters, quick search and visibility, on leads."""
    return query.filtered(session, actor, list_query, model=Lead)


def list_page(session: Session, actor: Actor, *, search: str = "", sort: str = "created_at", descending: bool = True,
              page: int = 1, page_size: int = 50) -> ListPage:
    """The raw-lead list's page (query.list_page) on leads, sorted by one of SORTS."""
    return query.list_page(session, actor, ListQuery(search=search, sort=sort, descending=descending, page=page,
                                                     page_size=page_size), LEAD_COLUMNS, model=Lead, sorts=SORTS)


def get_visible(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead: Lead = access.get_visible(session, actor, lead_id, model=Lead, not_found="lead.not_found")
    return lead


def display_values(session: Session, lead: Lead, locale: str = "vi") -> list[dict[str, str]]:
    users = user_names(session, {lead.assigned_to_id})
    fields = raw_lead_fields(session)
    by_key = {fd.key: fd for fd in fields}
    tz = clock.zone(session)
    shown = [{"label": fd.label(locale), "value": display_value(lead, fd.key, users, tz, by_key)}
             for fd in fields if fd.key not in ("converted_lead_id", "description")]
    # An ad lead's attribution only on ad leads (see raw_leads.display.display_values).
    hidden = {BUILTIN_BY_KEY[k].label(locale) for k in ATTRIBUTION}
    return [row for row in shown if row["value"] or row["label"] not in hidden]


def update_lead(session: Session, actor: Actor, lead_id: int, values: dict[str, Any], *, locale: str = "vi") -> Lead:
    """Same validation as raw leads (one field registry); every change goes to the Lead's timeline."""
    lead = get_visible(session, actor, lead_id)
    values = dict(values)
    stage = values.pop("status", None)  # a Lead's status is its stage: the lead_status picklist
    clean = validate(session, values, locale=locale)
    if stage is not None and str(stage).strip():
        if str(stage).strip() not in picklist_values(session, STAGE_FIELD):
            raise ValidationFailed({"status": t("validation.picklist", locale, field=t("pipeline.stage",
                                                                                              locale))})
        clean["status"] = str(stage).strip()
    changes = apply_values(lead, clean)
    if changes:
        lead.modified_at, lead.modified_by_id = utcnow(), actor.id
        session.add(lead)
        audit.record(session=session, entity="lead", entity_id=lead_id, action="updated", user_id=actor.id,
                     changes=changes)
    return lead


# ---------------------------------------------------------------- the pipeline (board)

STAGE_FIELD = "lead_status"
BOARD_CARDS = 20  # cards per stage column: the visible page of each


@dataclass(frozen=True)
class StageColumn:
    stage: str
    meaning: str  # open | won | lost
    count: int
    cards: list[dict[str, str]]


def stages(session: Session) -> list[tuple[str, str]]:
    """The stages in the admin's order with their meaning (an admin's new value is "open")."""
    rows = session.exec(select(PicklistValue.value, PicklistValue.meaning)
                        .where(PicklistValue.field_key == STAGE_FIELD, PicklistValue.is_active == True)  # noqa: E712
                        .order_by(col(PicklistValue.position), col(PicklistValue.id))).all()
    return [(value, meaning or MEANING_OPEN) for value, meaning in rows if value != UNKNOWN]


def board(session: Session, actor: Actor, *, search: str = "", per_stage: int = BOARD_CARDS) -> list[StageColumn]:
    """One column per stage: how many visible Leads are in it (one GROUP BY) and its newest cards.
    Leads whose status is no stage (renamed away, or Không xác định) get a last column."""
    where = filtered(session, actor, ListQuery(search=search))
    counts = dict(session.exec(select(Lead.status, func.count()).where(*where).group_by(Lead.status)).all())
    known = stages(session)
    names = [name for name, _ in known]
    columns = [*known, *([(UNKNOWN, MEANING_OPEN)] if any(s not in names for s in counts) else [])]
    out = []
    for stage, meaning in columns:
        stage_where = col(Lead.status) == stage if stage != UNKNOWN else col(Lead.status).not_in(names)
        records = session.exec(select(Lead).where(*where, stage_where)
                               .order_by(col(Lead.modified_at).desc(), col(Lead.id).desc()).limit(per_stage)).all()
        users = user_names(session, {r.assigned_to_id for r in records})
        tz = clock.zone(session)
        cards = [{"id": str(r.id), "name": f"{r.last_name or ''} {r.first_name}".strip(),
                  "company": r.company or "", "owner": users.get(r.assigned_to_id, ""),
                  "phone": display_value(r, "mobile", users, tz) or display_value(r, "phone", users, tz)}
                 for r in records]
        count = counts.get(stage, 0) if stage != UNKNOWN else sum(v for k, v in counts.items() if k not in names)
        out.append(StageColumn(stage=stage, meaning=meaning, count=count, cards=cards))
    return out


def move_stage(session: Session, actor: Actor, lead_id: int, stage: str) -> Lead:
    """"Chuyển sang" on a card: the same rule as editing the Lead's status (visible, a known stage)."""
    lead = get_visible(session, actor, lead_id)
    if stage not in [name for name, _ in stages(session)]:
        raise UserError("validation.picklist", field=t("pipeline.stage"))
    if lead.status != stage:
        audit.record(session=session, entity="lead", entity_id=lead_id, action="updated", user_id=actor.id,
                     changes={"status": [lead.status, stage]})
        lead.status, lead.modified_at, lead.modified_by_id = stage, utcnow(), actor.id
        session.add(lead)
    return lead
