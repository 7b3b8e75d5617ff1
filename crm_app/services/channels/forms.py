"""Landing pages and web forms: flat JSON, LadiPage lists, urlencoded (CHANNELS.md). Each form
(key, secret, label, field mapping) is a `FormConfig` an admin set up."""

from __future__ import annotations

import re
import time
from datetime import date, datetime

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Lookups,
    Refused,
    StoredEvent,
    Unit,
    check_token,
    digest,
    form_body,
    hmac_sha256,
    same_secret,
    squash,
)
from crm_app.services.field_synonyms import FULL_NAME, field_key_for
from crm_app.services.field_values import is_email
from crm_app.services.incoming import ATTRIBUTION_ALIASES, IncomingPerson
from crm_app.services.phones import phone_key
from crm_app.services.text import fold

name = "form"
label = "Web form"  # as the admin's settings tab calls them
ZALO_ADS_FORM = "Zalo Ads Form"
# The labels an admin can give a form (its records get the form's label as Nguồn input).
CHANNEL_LABELS = ("Webform", "Landing page", "Zalo Ads Form")
input_sources = CHANNEL_LABELS
TICKET = "webform"
TICKET_ZALO_ADS = "zalo_ads_form"
ticket_keys = (TICKET, TICKET_ZALO_ADS)

MAX_SKEW = 300  # seconds allowed between X-Timestamp and now

ADS_CHANNELS = ("Facebook Lead Ads", ZALO_ADS_FORM)
# IncomingPerson attributes a form answer can fill (the field keys of field_synonyms).
_PERSON = {FULL_NAME: "full_name", "first_name": "first_name", "last_name": "last_name",
           "mobile": "phone", "phone": "phone", "email": "email", "street": "street", "ward": "ward",
           "district": "district", "province": "province", "country": "country"}
# Older admin mappings name the person attribute rather than the field key.
_LEGACY_TARGETS = {"full_name": FULL_NAME, "phone": "mobile"}
# Contact columns a form may fill as text (picklists, the owner and the status are the CRM's).
_TEXT_FIELDS = ("company", "title", "website", "description")
_PAGE_URL = frozenset({"pageurl", "urlpage", "link", "sourceurl", "landingpage", "landingpageurl",
                       "referer", "referrer", "url"})
# The sender's declared type of an answer (Typeform, Elementor, Meta) says what it is.
_KINDS = {"email": "email", "phone_number": "mobile", "phone": "mobile", "tel": "mobile",
          "first": "first_name", "last": "last_name", "first_name": "first_name", "last_name": "last_name",
          "full_name": FULL_NAME}
# Question-like labels ("What is your first name?"): the phrase inside says what is asked.
_PHRASES = (
    (re.compile(r"\b(first name|given name|ten cua ban|ten goi)\b"), "first_name"),
    (re.compile(r"\b(last name|surname|family name)\b"), "last_name"),
    (re.compile(r"\b(full name|your name|ho va ten|ho ten)\b"), FULL_NAME),
    (re.compile(r"\b(e-?mail)\b"), "email"),
    (re.compile(r"\b(phone|so dien thoai|sdt|dien thoai)\b"), "mobile"),
)
_NO_LABEL = re.compile(r"^no label\s+", re.IGNORECASE)


def authenticate(delivery: Delivery) -> None:
    """X-Signature (HMAC of the raw body, optional X-Timestamp within ±300 s), else the form's
    secret as Bearer, X-Webhook-Token or ?token= (for senders that cannot set headers)."""
    form = delivery.form
    if form is None:
        raise Refused("no form")
    headers = delivery.headers
    signature = headers.get("x-signature")
    if signature:
        stamp = headers.get("x-timestamp")
        if stamp is not None:
            try:
                skew = abs(time.time() - float(stamp))
            except ValueError:
                skew = float("inf")
            if skew > MAX_SKEW:
                raise Refused("timestamp outside the window")
        if not same_secret(signature, hmac_sha256(form.secret, delivery.body)):
            raise Refused("bad signature")
        return
    auth = headers.get("authorization", "")
    bearer = auth[7:] if auth.lower().startswith("bearer ") else None
    check_token(bearer or headers.get("x-webhook-token") or delivery.token, form.secret)


def split(delivery: Delivery) -> list[Unit]:
    """Forms carry no event id: the sender's Idempotency-Key if any, else the body's digest (an
    identical body again is a redelivery). The form's key is stored beside it. The body is read
    here, before it is stored: one that is not what its Content-Type says is refused (400)."""
    fields(delivery.body, delivery.headers.get("content-type", ""))
    key = delivery.headers.get("idempotency-key") or digest(delivery.body)
    return [Unit(key[:255], delivery.body)]


def fields(body: bytes, content_type: str) -> list[form_body.Answer]:
    """The submitted answers, whatever the shape (BadPayload when there are none)."""
    return form_body.read(body, content_type)


def _target(answer: form_body.Answer, override: dict[str, str]) -> str | None:
    """The field key an answer goes to: the admin's mapping, the sender's type for it, the
    synonym table on its label then on its other names, a phrase in a question-like label."""
    candidates = [answer.label, *answer.names]
    for name in candidates:
        if (mapped := override.get(squash(name))) is not None:
            return _LEGACY_TARGETS.get(mapped, mapped)
    if answer.kind and (kind := _KINDS.get(answer.kind.lower())) is not None:
        return kind
    for name in candidates:
        if (key := field_key_for(_NO_LABEL.sub("", name))) is not None:
            return key
    folded = fold(answer.label)
    if len(folded.split()) > 2:
        for pattern, key in _PHRASES:
            if pattern.search(folded):
                return key
    return None


def _usable(key: str, text: str) -> bool:
    """A phone or e-mail answer that is not one (a Brazilian WhatsApp number, a placeholder) is
    kept as an answer under its label rather than poured into the contact field."""
    if key in ("mobile", "phone"):
        return phone_key(text) is not None
    if key == "email":
        return is_email(text)
    return True


def _birthday(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text.strip()[:10], fmt).date()
        except ValueError:
            continue
    return None


def person_from_answers(answers: list[form_body.Answer], *, channel: str, mapping: dict[str, str] | None = None,
                        ticket: str | None = TICKET) -> IncomingPerson:
    """Answers to a person: the admin's mapping wins over the synonym table; every answer no field
    takes is kept (`extra`, shown on the record) — nothing a sender sent is dropped."""
    override = {squash(k): v for k, v in (mapping or {}).items()}
    person = IncomingPerson(channel=channel, ticket_channel=ticket)
    ads = channel in ADS_CHANNELS
    for answer in answers:
        text = answer.text
        if not text or not answer.label:
            continue
        key = _target(answer, override)
        attr = _PERSON.get(key or "")
        if attr is not None and _usable(key or "", text) and getattr(person, attr) is None:
            setattr(person, attr, text)
            continue
        if key in _TEXT_FIELDS and key not in person.fields:
            person.fields[key] = text
            continue
        if key == "birthday" and "birthday" not in person.fields and (born := _birthday(text)):
            person.fields["birthday"] = born
            continue
        if key and key.startswith("cf_"):
            person.extra[key] = text
            continue
        squashed = squash(answer.label)
        attribution = ATTRIBUTION_ALIASES.get(re.sub(r"[^a-z0-9]+", "_", fold(answer.label)).strip("_"))
        if ads and attribution and attribution not in person.attribution:
            person.attribution[attribution] = text
            continue
        label = "page_url" if squashed in _PAGE_URL and "page_url" not in person.extra else answer.label
        if label in person.extra and person.extra[label] != text:
            label = f"{label} ({len(person.extra)})"
        person.extra[label] = text
    return person


def parse(event: StoredEvent, _lookups: Lookups) -> list[IncomingPerson]:
    """The form's `mapping` (the admin's override) maps a sender's field name to a field key
    (mobile, email, first_name, ...; the older full_name / phone too) or a custom-field key; it
    wins over the synonyms. The person's channel is the form's label. A submission without a name,
    phone or e-mail still makes a person: the sync rules decide (DESIGN §4 rule 3)."""
    form = event.form
    if form is None:
        raise BadPayload("the form of this event no longer exists")
    ticket = TICKET_ZALO_ADS if form.channel == ZALO_ADS_FORM else TICKET
    answers = fields(event.body, event.headers.get("content-type", ""))
    return [person_from_answers(answers, channel=form.channel, mapping=form.mapping, ticket=ticket)]


def message_text(_body: bytes) -> str | None:
    return None  # a submission's answers are on the record already
