"""Nguồn input is a picklist (DESIGN §4): whatever a channel or a form's label says, the record
gets one of its values. "landing page", "Landing Page" and "LP" are the value "Landing page"; a
channel's own value (Zalo OA, Hana, Facebook...) is added to the list if an admin removed it; a
label nobody can place is "Không xác định" rather than a value the list does not have."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from crm_app.fields import UNKNOWN
from crm_app.models import PicklistValue
from crm_app.services.channels import squash

FIELD = "input_source"
# Spellings admins and senders use, squashed, -> the picklist's value.
_ALIASES = {
    "landingpage": "Landing page", "landing": "Landing page", "lp": "Landing page", "ladipage": "Landing page",
    "trangdich": "Landing page", "webform": "Webform", "form": "Webform", "websiteform": "Webform",
    "bieumau": "Webform", "contactform": "Webform", "leadads": "Facebook Lead Ads",
    "facebookleadads": "Facebook Lead Ads", "fbleadads": "Facebook Lead Ads", "zaloadsform": "Zalo Ads Form",
    "zaloads": "Zalo Ads Form", "zalooa": "Zalo OA", "zalo": "Zalo OA",
}
# The aliases a longer label may start with ("Landing Tết"), longest first.
_PREFIXES = [(k, v) for k, v in sorted(_ALIASES.items(), key=lambda kv: -len(kv[0])) if len(k) >= 4]


def resolve(session: Session, label: str | None) -> str:
    """The picklist value for a channel's label (inactive values count: the record keeps what the
    admin once chose to retire)."""
    rows = list(session.exec(select(PicklistValue.value).where(PicklistValue.field_key == FIELD)))
    by_key = {squash(v): v for v in rows}
    key = squash(label or "")
    if not key:
        return UNKNOWN
    if key in by_key:
        return by_key[key]
    # "Landing Tết", "LadiPage khuyến mãi", "Webform liên hệ": the kind of form it names first.
    alias = _ALIASES.get(key) or next((v for k, v in _PREFIXES if key.startswith(k)), None)
    if alias is not None and squash(alias) in by_key:
        return by_key[squash(alias)]
    from crm_app.services.channels.registry import INPUT_SOURCES  # the registry imports services

    own = next((v for v in INPUT_SOURCES if squash(v) == key), None)
    if own is None:
        return UNKNOWN
    # A registered channel's own value, missing from the list: add it (before Không xác định).
    last = session.exec(select(func.max(PicklistValue.position)).where(
        PicklistValue.field_key == FIELD, col(PicklistValue.value) != UNKNOWN)).one()
    unknown = session.exec(select(PicklistValue).where(PicklistValue.field_key == FIELD,
                                                       PicklistValue.value == UNKNOWN)).first()
    position = (last or 0) + 1
    if unknown is not None and unknown.position <= position:
        unknown.position = position + 1
        session.add(unknown)
    try:
        with session.begin_nested():  # another worker may add it at the same moment
            session.add(PicklistValue(field_key=FIELD, value=own, position=position))
    except IntegrityError:
        pass
    return own
