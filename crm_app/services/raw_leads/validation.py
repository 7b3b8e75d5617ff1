"""Form values into column values: each field parsed by field_values, a message per bad field."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from crm_app.fields import raw_lead_fields
from crm_app.i18n import UserError, t
from crm_app.models import Lead, RawLead
from crm_app.services import field_values
from crm_app.services.text import derived_keys

CONTACT_KEYS = (
    "salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
    "website", "lead_source", "customer_type", "birthday", "street", "ward", "district",
    "province", "country", "description",
)
EDITABLE_KEYS = (*CONTACT_KEYS, "status")


class ValidationFailed(UserError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("validation.failed")
        self.errors = errors


def user_id_for(session: Session, value: str) -> int | None:
    return field_values.Lookups(session).user_id(value.strip()) if value.strip() else None


# field_values' rule → the form's message
_FORM_MESSAGES = {"partial_date": "validation.date"}


def validate(session: Session, values: dict[str, Any], *, locale: str = "vi",
             lookups: field_values.Lookups | None = None) -> dict[str, Any]:
    """Clean form values into column values (custom fields under "custom"), or raise
    ValidationFailed with a message per field. Each value is parsed by `field_values.parse`."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    lookups = lookups or field_values.Lookups(session)
    for fd in raw_lead_fields(session):
        if fd.key not in values or not (fd.key in EDITABLE_KEYS or fd.custom or fd.key == "assigned_to"):
            continue
        try:
            value = field_values.parse(fd, values[fd.key], lookups)
        except field_values.BadValue as bad:
            errors[fd.key] = t(_FORM_MESSAGES.get(bad.code, f"validation.{bad.code}"), locale,
                               field=fd.label(locale))
            value = None
        else:
            if value is None and (fd.required or fd.key == "assigned_to"):
                errors[fd.key] = t("validation.required", locale, field=fd.label(locale))
        if fd.custom:
            custom[fd.key.removeprefix("cf_")] = value
        elif fd.key == "assigned_to":
            clean["assigned_to_id"] = value
        else:
            clean[fd.key] = value
    if custom:
        clean["custom"] = custom
    if errors:
        raise ValidationFailed(errors)
    return clean


def with_derived_keys(values: dict[str, Any], record: RawLead | Lead | None = None) -> dict[str, Any]:
    """Add the match and search keys derived from the contact fields (record values as defaults)."""
    merged = {k: getattr(record, k) for k in CONTACT_KEYS} if record else {}
    merged.update({k: v for k, v in values.items() if k in CONTACT_KEYS})
    values.update(derived_keys(merged))
    return values
