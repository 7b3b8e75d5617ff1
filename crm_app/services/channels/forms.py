"""Landing pages and web forms: flat JSON, LadiPage lists, urlencoded (CHANNELS.md). Each form
(key, secret, label, field mapping) is a `FormConfig` an admin set up."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Lookups,
    Refused,
    StoredEvent,
    Unit,
    check_token,
    digest,
    hmac_sha256,
    same_secret,
    squash,
    text_of,
)
from crm_app.services.forms import CHANNEL_LABELS
from crm_app.services.incoming import IncomingPerson

name = "form"
label = "Web form"  # as the admin's settings tab calls them
ZALO_ADS_FORM = "Zalo Ads Form"
input_sources = CHANNEL_LABELS  # a form's records get the form's label
TICKET = "webform"
TICKET_ZALO_ADS = "zalo_ads_form"
ticket_keys = (TICKET, TICKET_ZALO_ADS)

MAX_SKEW = 300  # seconds allowed between X-Timestamp and now

# Field names as senders spell them, compared folded and without separators.
_ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "sdt", "sodienthoai", "dienthoai", "tel", "mobile", "phonenumber", "didong"),
    "full_name": ("name", "hoten", "hovaten", "fullname", "ten", "yourname"),
    "first_name": ("firstname",),
    "last_name": ("lastname", "ho"),
    "email": ("email", "mail", "emailaddress"),
    "street": ("address", "diachi", "street", "streetaddress"),
    "ward": ("ward", "phuong", "phuongxa", "xaphuong"),
    "district": ("district", "quan", "quanhuyen", "huyen"),
    "province": ("province", "city", "tinh", "tinhthanh", "tinhthanhpho", "thanhpho"),
    "country": ("country", "quocgia"),
}
_ATTRS = {alias: attr for attr, aliases in _ALIASES.items() for alias in aliases}
PERSON_ATTRS = frozenset(_ALIASES)


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
    identical body again is a redelivery). The form's key is stored beside it."""
    key = delivery.headers.get("idempotency-key") or digest(delivery.body)
    return [Unit(key[:255], delivery.body)]


def fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The submitted (name, value) pairs, whatever the shape."""
    if "application/x-www-form-urlencoded" in content_type:
        try:
            return [(k, v) for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=False)]
        except UnicodeDecodeError as exc:
            raise BadPayload("form body is not UTF-8") from exc
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload("form body is neither JSON nor urlencoded") from exc
    if not isinstance(data, dict):
        raise BadPayload("form body is not a JSON object")
    pairs: list[tuple[str, str]] = []
    lists = [data[k] for k in ("form_data", "tracking_form") if isinstance(data.get(k), list)]
    for items in lists:  # LadiPage: [{"name": ..., "value": ...}, ...]
        for item in items:
            if isinstance(item, dict) and (field_name := text_of(item.get("name"))):
                value = item.get("value")
                text = ", ".join(str(v) for v in value) if isinstance(value, list) else text_of(value)
                if text:
                    pairs.append((field_name, text))
    for field_name, value in data.items():
        if field_name in ("form_data", "tracking_form") and isinstance(value, list):
            continue
        text = text_of(value)
        if text:
            pairs.append((str(field_name), text))
    return pairs


def parse(event: StoredEvent, _lookups: Lookups) -> list[IncomingPerson]:
    """The form's `mapping` (the admin's override) maps a sender's field name to a person
    attribute (phone, full_name, email, street, ...) or to a custom-field key; it wins over the
    aliases. The person's channel is the form's label."""
    form = event.form
    if form is None:
        raise BadPayload("the form of this event no longer exists")
    override = {squash(k): v for k, v in (form.mapping or {}).items()}
    ticket = TICKET_ZALO_ADS if form.channel == ZALO_ADS_FORM else TICKET
    person = IncomingPerson(channel=form.channel, ticket_channel=ticket)
    for field_name, value in fields(event.body, event.headers.get("content-type", "")):
        key = squash(field_name)
        target = override.get(key) or _ATTRS.get(key)
        if target in PERSON_ATTRS:
            if getattr(person, target) is None:
                setattr(person, target, value)
        else:
            person.extra[target or field_name] = value
    if not any((person.phone, person.email, person.full_name, person.first_name, person.last_name)):
        raise BadPayload("form submission without name, phone or email")
    return [person]


def message_text(_body: bytes) -> str | None:
    return None  # a submission's answers are on the record already
