"""Reference data every installation needs: picklists, the default list layout, the two
shared filters, org settings and the sync-rule defaults. Idempotent."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from crm_app.fields import DEFAULT_LIST_COLUMNS, DEFAULT_MEANINGS, DEFAULT_PICKLISTS, UNKNOWN
from crm_app.models import ListLayout, OrgSetting, PicklistValue, SavedFilter, SyncConfig

VISIBILITY_KEY = "raw_lead_visibility"
VISIBILITY_ALL = "all"
VISIBILITY_OWN = "own"

# The guide's recommendations (sync-config-guide): DESIGN §4 "Defaults on a new installation".
DEFAULT_SYNC_SETTINGS: dict[str, Any] = {
    "condition": "email_or_phone",
    "target_when_met": "lead",
    "target_when_not_met": "raw_lead",
    "convert_on_update": True,
    "on_match": "overwrite",
    "assignment_users": [],
    "assignment_method": "round_robin",
    "tickets": {"webform": False, "zalo_oa": False, "zalo_ads_form": False, "chatbot": False},
}

SHARED_FILTERS: tuple[tuple[str, list[dict[str, Any]]], ...] = (
    ("Từ Zalo OA", [{"field": "zalo_user_id", "op": "not_empty"}]),
    ("Từ Chatbot", [{"field": "input_source", "op": "in", "value": ["Hana", "Botbanhang"]}]),
    ("Chưa liên hệ", [{"field": "last_contacted_at", "op": "empty"}]),
    ("Có việc quá hạn", [{"field": "next_task_at", "op": "past"}]),
)


def ensure_reference_data(*, session: Session) -> None:
    for field_key, values in DEFAULT_PICKLISTS.items():
        existing = set(session.exec(
            select(PicklistValue.value).where(PicklistValue.field_key == field_key)))
        if existing:
            continue
        meanings = DEFAULT_MEANINGS.get(field_key, {})
        for position, value in enumerate((*values, UNKNOWN)):
            session.add(PicklistValue(field_key=field_key, value=value, position=position,
                                      meaning=meanings.get(value)))
    if session.exec(select(ListLayout).where(ListLayout.owner_id == None)).first() is None:  # noqa: E711
        session.add(ListLayout(module="raw_leads", owner_id=None, columns=list(DEFAULT_LIST_COLUMNS)))
    for name, conditions in SHARED_FILTERS:
        found = session.exec(select(SavedFilter).where(
            SavedFilter.name == name, SavedFilter.owner_id == None)).first()  # noqa: E711
        if found is None:
            session.add(SavedFilter(name=name, owner_id=None, conditions=conditions))
    if session.get(OrgSetting, VISIBILITY_KEY) is None:
        session.add(OrgSetting(key=VISIBILITY_KEY, value=VISIBILITY_ALL))
    if session.exec(select(SyncConfig)).first() is None:
        session.add(SyncConfig(settings=dict(DEFAULT_SYNC_SETTINGS)))


def get_org_setting(*, session: Session, key: str, default: Any = None) -> Any:
    row = session.get(OrgSetting, key)
    return default if row is None else row.value
