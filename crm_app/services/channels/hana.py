"""Hana, a chatbot on a Facebook page (CHANNELS.md "Chatbot providers"): `lead.*` attributes."""

from __future__ import annotations

from typing import Any

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Lookups,
    StoredEvent,
    Unit,
    as_id,
    check_token,
    digest,
    load_json,
    obj,
    squash,
    text_of,
)
from crm_app.services.incoming import IncomingPerson
from crm_app.settings import get_settings

name = "hana"
label = "Hana"
INPUT_SOURCE = "Hana"
input_sources = (INPUT_SOURCE,)
TICKET = "chatbot"
ticket_keys = (TICKET,)

# Hana attribute names are Hana's own or the page admin's custom ones: matched folded, without
# separators ("Phone Number", "phone_number", "phoneNumber" are one name).
_ATTRS: dict[str, tuple[str, ...]] = {
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
_LOOKUP = {alias: attr for attr, aliases in _ATTRS.items() for alias in aliases}
_SKIP = {"id", "createdat", "updatedat"}


def authenticate(delivery: Delivery) -> None:
    """CRM_CHATBOT_SECRET_HANA as header `X-Webhook-Token` or `?token=`."""
    check_token(delivery.headers.get("x-webhook-token") or delivery.token, get_settings().chatbot_secret_hana)


def split(delivery: Delivery) -> list[Unit]:
    """Hana sends no event id: the key is the lead id and the body's digest, so a redelivery of
    the same body is a duplicate while the next message of the conversation is not."""
    lead = delivery.payload.get("lead")
    lead_id = _value(lead.get("id")) if isinstance(lead, dict) else None
    return [Unit(f"hana:{lead_id}:{digest(delivery.body)[:32]}"[:255], delivery.body)]


def _value(node: object) -> str | None:
    """Hana wraps values as {nomalizeData, rawData} (sic); prefer the normalised one."""
    if isinstance(node, dict):
        return text_of(node.get("nomalizeData")) or text_of(node.get("normalizeData")) or text_of(node.get("rawData"))
    return as_id(node) if isinstance(node, (int, float)) else text_of(node)


def _person(payload: dict[str, Any]) -> IncomingPerson:
    lead = payload.get("lead")
    if not isinstance(lead, dict):
        raise BadPayload("Hana body without lead")
    person = IncomingPerson(channel=INPUT_SOURCE, ticket_channel=TICKET)
    for field_name, node in lead.items():
        value = _value(node)
        key = squash(field_name)
        if not value or key in _SKIP:
            continue
        attr = _LOOKUP.get(key)
        if attr is None:
            person.extra[field_name] = value
        elif getattr(person, attr) is None:
            setattr(person, attr, value)
    if not (person.full_name or person.first_name or person.last_name):
        person.full_name = person.facebook_name  # the name the person chats under: split the Vietnamese way
    if person.facebook_psid is None and (lead_id := _value(lead.get("id"))):
        # The conversation's stable identity when Hana does not expose the PSID; dashes removed so
        # a UUID fits the 32-character column.
        person.facebook_psid = lead_id.replace("-", "")[:32]
    if person.facebook_psid is None:
        raise BadPayload("Hana lead without id")
    conversation = obj(payload.get("conversation"))
    if url := text_of(conversation.get("conversationUrl")):
        person.extra["conversation_url"] = url
    return person


def parse(event: StoredEvent, _lookups: Lookups) -> list[IncomingPerson]:
    return [_person(load_json(event.body))]


def message_text(_body: bytes) -> str | None:
    return None  # Hana posts the lead's attributes, not the conversation's messages
