"""Chatbot providers on a Facebook page: Hana and Botbanhang (CHANNELS.md "Chatbot providers")."""

from __future__ import annotations

import hashlib
from typing import Any

from crm_app.services.channels import BadPayload, Lookups, Unit, as_id, load_json, text_of
from crm_app.services.sync_rules import IncomingPerson
from crm_app.services.text import fold

PROVIDERS = {"hana": "Hana", "botbanhang": "Botbanhang"}

# Hana attribute names are Hana's own or the page admin's custom ones: matched folded, without
# separators ("Phone Number", "phone_number", "phoneNumber" are one name).
_HANA_ATTRS: dict[str, tuple[str, ...]] = {
    "facebook_name": ("basename", "name", "fullname", "hoten", "hovaten", "tenfacebook"),
    "first_name": ("firstname",),
    "last_name": ("lastname",),
    "phone": ("phone", "phonenumber", "sdt", "sodienthoai", "mobile", "tel"),
    "email": ("email", "mail"),
    "street": ("address", "diachi", "street"),
    "province": ("city", "province", "tinh", "tinhthanh", "thanhpho"),
    "district": ("district", "quan", "quanhuyen"),
    "ward": ("ward", "phuong", "phuongxa"),
    "facebook_psid": ("psid", "facebookid", "fbid", "messengerid", "pageuserid"),
}
_HANA_LOOKUP = {alias: attr for attr, aliases in _HANA_ATTRS.items() for alias in aliases}
_HANA_SKIP = {"id", "createdat", "updatedat"}


def squash(name: str) -> str:
    return "".join(c for c in fold(name) if c.isalnum())


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def split(provider: str, payload: dict[str, Any], raw: bytes) -> list[Unit]:
    """Hana sends no event id: the key is the lead id and the body's digest, so a redelivery of
    the same body is a duplicate while the next message of the conversation is not."""
    if provider == "hana":
        lead = payload.get("lead") if isinstance(payload.get("lead"), dict) else {}
        return [Unit(f"hana:{_hana_value(lead.get('id'))}:{_digest(raw)}"[:255], raw)]
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    event = str(payload.get("event") or "")
    if event == "client:new" and (cid := as_id(data.get("id"))):
        return [Unit(f"client:new:{cid}"[:255], raw)]
    if event == "order:new" and (oid := as_id(data.get("idorder"))):
        return [Unit(f"order:new:{oid}"[:255], raw)]
    return [Unit(f"{event}:{_digest(raw)}"[:255], raw)]


def _hana_value(node: object) -> str | None:
    """Hana wraps values as {nomalizeData, rawData} (sic); prefer the normalised one."""
    if isinstance(node, dict):
        return text_of(node.get("nomalizeData")) or text_of(node.get("normalizeData")) or text_of(node.get("rawData"))
    return as_id(node) if isinstance(node, (int, float)) else text_of(node)


def _hana(payload: dict[str, Any]) -> IncomingPerson:
    lead = payload.get("lead")
    if not isinstance(lead, dict):
        raise BadPayload("Hana body without lead")
    person = IncomingPerson(channel=PROVIDERS["hana"], ticket_channel="chatbot")
    for name, node in lead.items():
        value = _hana_value(node)
        key = squash(name)
        if not value or key in _HANA_SKIP:
            continue
        attr = _HANA_LOOKUP.get(key)
        if attr is None:
            person.extra[name] = value
        elif getattr(person, attr) is None:
            setattr(person, attr, value)
    if person.facebook_psid is None and (lead_id := _hana_value(lead.get("id"))):
        # The conversation's stable identity when Hana does not expose the PSID; dashes removed so
        # a UUID fits the 32-character column.
        person.facebook_psid = lead_id.replace("-", "")[:32]
    if person.facebook_psid is None:
        raise BadPayload("Hana lead without id")
    conversation = payload.get("conversation") if isinstance(payload.get("conversation"), dict) else {}
    if url := text_of(conversation.get("conversationUrl")):
        person.extra["conversation_url"] = url
    return person


def _name(node: dict[str, Any]) -> str | None:
    # Vietnamese order: family name first.
    name = " ".join(p for p in (text_of(node.get("last_name")), text_of(node.get("first_name"))) if p)
    return name or None


def _botbanhang(payload: dict[str, Any]) -> IncomingPerson | None:
    event = payload.get("event")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise BadPayload("Botbanhang body without data")
    person = IncomingPerson(channel=PROVIDERS["botbanhang"], ticket_channel="chatbot")
    if event == "client:new":
        person.facebook_psid = as_id(data.get("psid")) or as_id(data.get("id"))
        person.facebook_name = _name(data)
        if gender := text_of(data.get("gender")):
            person.extra["gender"] = gender
    elif event == "order:new":
        client = data.get("client") if isinstance(data.get("client"), dict) else {}
        ship = data.get("ship") if isinstance(data.get("ship"), dict) else {}
        person.facebook_psid = as_id(client.get("psid"))
        person.facebook_name = _name(client)
        person.full_name = text_of(ship.get("name"))
        person.phone = text_of(ship.get("phone"))
        person.email = text_of(ship.get("email"))
        person.street = text_of(ship.get("address"))
        person.district = text_of(ship.get("district"))
        person.province = text_of(ship.get("province"))
        if order := as_id(data.get("idorder")):
            person.extra["order_id"] = order
        # An order closes the bot's script: the ticket rule for "chatbot finished" applies.
        person.chatbot_finished = True
    else:
        return None
    if not (person.facebook_psid or person.phone or person.email):
        raise BadPayload("Botbanhang event without any identity")
    return person


def parse(provider: str, body: bytes, _lookups: Lookups | None = None) -> list[IncomingPerson]:
    payload = load_json(body)
    if provider == "hana":
        return [_hana(payload)]
    if provider == "botbanhang":
        person = _botbanhang(payload)
        return [person] if person is not None else []
    raise BadPayload(f"unknown chatbot provider {provider!r}")
