"""POST /api/raw-leads: a person sent by an integration goes through the channels' sync rules
(`sync_rules.apply_incoming`: duplicate handling, conversion, assignment, Nguồn input = API).

Values are checked by the field registry's validation (`validate`) and, like every
channel and the import, a bad value never loses the submission: an unknown picklist value becomes
"Không xác định", anything else that does not parse is kept in the description, and the answer
lists a warning per such field.

An `Idempotency-Key` is stored with the answer in the same write transaction as the record, under
a UNIQUE (principal, key) constraint: two workers racing with one key create one record, and the
loser (blocked by the database until the winner commits, then refused) replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from crm_app.db import read_session, write_session
from crm_app.fields import INPUT_API, UNKNOWN, raw_lead_fields
from crm_app.i18n import UserError, t
from crm_app.models import ApiIdempotencyKey, utcnow
from crm_app.services import sync_rules
from crm_app.services.incoming import Decision, IncomingPerson
from crm_app.services.raw_leads.validation import ValidationFailed, validate

# Given to the sync rules as the person's own data (they normalise phone and email themselves).
PERSON_KEYS = ("first_name", "last_name", "email", "street", "ward", "district", "province", "country",
               "zalo_user_id", "zalo_name", "facebook_psid", "facebook_name")
# Checked by the field registry's validation first.
CHECKED_KEYS = ("salutation", "phone", "company", "title", "website", "lead_source", "customer_type",
                "birthday", "description")
KEY_TTL = timedelta(hours=24)


class IdempotencyMismatch(UserError):
    """The key was used before with another body: a conflict with the stored request (409)."""

    def __init__(self) -> None:
        super().__init__("api.idempotency.mismatch")


class UnknownFields(UserError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__("api.body.unknown_fields", fields=", ".join(keys))
        self.errors = {k: t("api.body.unknown_field") for k in keys}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass
class Prepared:
    person: IncomingPerson
    warnings: dict[str, str] = field(default_factory=dict)


def allowed_keys(session: Session) -> set[str]:
    """The field keys a submission may carry: the contact fields and the active custom fields."""
    custom = {f.key for f in raw_lead_fields(session) if f.custom}
    return {"mobile", *PERSON_KEYS, *CHECKED_KEYS} | custom


def prepare(session: Session, values: dict[str, Any], *, locale: str = "vi") -> Prepared:
    """The submission as an incoming person of the "API" channel, with a warning per value that
    could not be stored in its field."""
    text: dict[str, Any] = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
    person = IncomingPerson(channel=INPUT_API, phone=text.get("mobile"),
                            **{k: text[k] for k in PERSON_KEYS if k in text})
    checked = {k: v for k, v in text.items() if k in CHECKED_KEYS or k.startswith("cf_")}
    fields = {f.key: f for f in raw_lead_fields(session)}
    warnings: dict[str, str] = {}
    notes: list[str] = []
    while True:
        try:
            clean = validate(session, checked, locale=locale)
            break
        except ValidationFailed as failed:
            for key, message in failed.errors.items():
                warnings[key] = message
                if fields[key].type == "picklist":
                    checked[key] = UNKNOWN  # the import's default for a value not in the list
                else:
                    notes.append(f"{fields[key].label(locale)}: {checked.pop(key, '')}")
    custom = clean.pop("custom", {})
    person.extra = {f"cf_{k}": v for k, v in custom.items() if v}
    person.fields = {k: v for k, v in clean.items() if v is not None}
    if notes:
        person.fields["description"] = "\n".join(filter(None, [person.fields.get("description"), *notes]))
    return Prepared(person, warnings)


def body_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _stored(session: Session, principal: str, key: str, digest: str) -> Answer | None:
    row = session.exec(select(ApiIdempotencyKey).where(ApiIdempotencyKey.principal == principal,
                                                       ApiIdempotencyKey.key == key)).first()
    if row is None or row.created_at < utcnow() - KEY_TTL:
        return None
    if row.request_hash != digest:
        raise IdempotencyMismatch()
    return Answer(row.status_code, row.response, replayed=True)


def submit(engine: Engine, values: dict[str, Any], *, principal: str, idempotency_key: str | None,
           render: Callable[[Session, Decision, dict[str, str]], Answer], locale: str = "vi") -> Answer:
    """Apply the sync rules to one submission, once per idempotency key. `render` builds the answer
    inside the transaction (it is stored with the key)."""
    digest = body_hash(values)
    if idempotency_key:
        with read_session(engine) as session:
            if (answer := _stored(session, principal, idempotency_key, digest)) is not None:
                return answer
    try:
        with write_session(engine) as session:
            row = None
            if idempotency_key:
                # Expired keys go first, so that the key may be used again after its TTL.
                session.exec(delete(ApiIdempotencyKey).where(
                    col(ApiIdempotencyKey.created_at) < utcnow() - KEY_TTL))
                row = ApiIdempotencyKey(principal=principal, key=idempotency_key, request_hash=digest)
                session.add(row)
                session.flush()  # PostgreSQL: waits here for a concurrent holder of the key
            prepared = prepare(session, values, locale=locale)
            decision = sync_rules.apply_incoming(session, prepared.person, source=f"api:{principal}")
            answer = render(session, decision, prepared.warnings)
            if row is not None:
                row.status_code, row.response = answer.status, answer.body
                session.add(row)
            return answer
    except IntegrityError:
        if not idempotency_key:
            raise
        with read_session(engine) as session:
            answer = _stored(session, principal, idempotency_key, digest)
        if answer is None:
            raise
        return answer

