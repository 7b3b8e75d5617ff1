"""Landing pages and web forms: flat JSON, LadiPage lists, urlencoded (CHANNELS.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from crm_app.services.channels import BadPayload, Unit, text_of
from crm_app.services.channels.chatbot import squash
from crm_app.services.sync_rules import IncomingPerson

CHANNEL = "form"
ZALO_ADS_FORM = "Zalo Ads Form"

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


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def split(form_key: str, raw: bytes, idempotency_key: str | None) -> list[Unit]:
    """Forms carry no event id: the sender's Idempotency-Key if any, else the body's digest (an
    identical body again is a redelivery)."""
    key = idempotency_key or hashlib.sha256(raw).hexdigest()
    return [Unit(f"{form_key}:{key}"[:255], raw)]


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
            if isinstance(item, dict) and (name := text_of(item.get("name"))):
                value = item.get("value")
                text = ", ".join(str(v) for v in value) if isinstance(value, list) else text_of(value)
                if text:
                    pairs.append((name, text))
    for name, value in data.items():
        if name in ("form_data", "tracking_form") and isinstance(value, list):
            continue
        text = text_of(value)
        if text:
            pairs.append((str(name), text))
    return pairs


def parse(body: bytes, content_type: str, *, channel: str, mapping: dict[str, str]) -> list[IncomingPerson]:
    """`mapping` (the admin's override) maps a sender's field name to a person attribute
    (phone, full_name, email, street, ...) or to a custom-field key; it wins over the aliases."""
    override = {squash(k): v for k, v in (mapping or {}).items()}
    ticket = "zalo_ads_form" if channel == ZALO_ADS_FORM else "webform"
    person = IncomingPerson(channel=channel, ticket_channel=ticket)
    for name, value in fields(body, content_type):
        key = squash(name)
        target = override.get(key) or _ATTRS.get(key)
        if target in PERSON_ATTRS:
            if getattr(person, target) is None:
                setattr(person, target, value)
        else:
            person.extra[target or name] = value
    if not any((person.phone, person.email, person.full_name, person.first_name, person.last_name)):
        raise BadPayload("form submission without name, phone or email")
    return [person]
