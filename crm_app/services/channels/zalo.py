"""Zalo Official Account events (CHANNELS.md "Zalo Official Account")."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime
from typing import Any

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Lookups,
    Refused,
    StoredEvent,
    Unit,
    as_id,
    load_json,
    obj,
    same_secret,
    text_of,
)
from crm_app.services.channels.facebook import contacts_in_text
from crm_app.services.incoming import IncomingPerson
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

name = "zalo"
label = "Zalo OA"
INPUT_SOURCE = "Zalo OA"
input_sources = (INPUT_SOURCE,)
TICKET = "zalo_oa"
ticket_keys = (TICKET,)

# Events of a person reaching the OA; everything else (the OA's own messages, unfollow, tags,
# seen / received receipts, ZNS delivery receipts, reactions...) is stored and ignored.
_PERSON_EVENTS = ("follow", "user_submit_info")
_PERSON_PREFIXES = ("user_send_",)


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """Plain SHA-256 of app_id + raw body + timestamp + OA secret (not an HMAC)."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode()).hexdigest()


def authenticate(delivery: Delivery) -> None:
    """Header `X-ZEvent-Signature: mac=<signature>`, the timestamp being the body's."""
    s = get_settings()
    if not (s.zalo_app_id and s.zalo_oa_secret):
        raise Refused("channel not configured")
    header = delivery.headers.get("x-zevent-signature", "")
    if not header.startswith("mac="):
        raise Refused("signature missing", missing=True)
    timestamp = str(delivery.payload.get("timestamp", ""))
    if not same_secret(header[4:], signature(s.zalo_app_id, delivery.body, timestamp, s.zalo_oa_secret)):
        raise Refused("bad signature")


def user_id(payload: dict[str, Any]) -> str | None:
    for holder in ("follower", "sender"):
        node = payload.get(holder)
        if isinstance(node, dict) and (uid := as_id(node.get("id"))):
            return uid
    return as_id(payload.get("user_id"))


def split(delivery: Delivery) -> list[Unit]:
    """One event per delivery; the key is message.msg_id, else (event_name, user id, timestamp)."""
    payload = delivery.payload
    message = obj(payload.get("message"))
    msg_id = as_id(message.get("msg_id"))
    if msg_id:
        key = f"msg:{msg_id}"
    else:
        key = f"{payload.get('event_name')}:{user_id(payload)}:{as_id(payload.get('timestamp'))}"
    return [Unit(key[:255], delivery.body)]


def _user_detail(uid: str, lookups: Lookups) -> dict[str, Any]:
    # The detail only decorates the record: a Zalo API outage must not hold back the event itself.
    try:
        data = lookups.zalo_user(uid).get("data")
    except Exception as exc:  # noqa: BLE001 - any lookup failure degrades to "no detail"
        log.warning("zalo user detail failed for a user: %s", exc)
        return {}
    return data if isinstance(data, dict) else {}


def birthday(text: str | None) -> date | None:
    """Zalo's user_dob: dd/mm/yyyy (also seen as yyyy-mm-dd or a Unix time in seconds)."""
    if not text:
        return None
    if text.isdigit() and len(text) >= 9:
        try:
            return datetime.fromtimestamp(int(text), UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _info(person: IncomingPerson, info: dict[str, Any]) -> None:
    """user_submit_info's two shapes (flat address/ward/district/city, nested full_address) and
    user/detail's shared_info: what the person shared fills the fields still empty."""
    nested = obj(info.get("full_address"))
    values = {
        "full_name": text_of(info.get("name")), "phone": text_of(info.get("phone")),
        "email": text_of(info.get("email")),
        "street": text_of(nested.get("user_address")) or text_of(info.get("address")),
        "ward": text_of(nested.get("user_ward")) or text_of(info.get("ward")),
        "district": text_of(nested.get("user_district")) or text_of(info.get("district")),
        "province": text_of(nested.get("user_city")) or text_of(info.get("city")),
    }
    for attr, value in values.items():
        if value and getattr(person, attr) is None:
            setattr(person, attr, value)
    dob = text_of(info.get("user_dob"))
    if (born := birthday(dob)) is not None:
        person.fields.setdefault("birthday", born)
    elif dob:
        person.extra["user_dob"] = dob
    if value := text_of(info.get("gender")):
        person.extra["gender"] = value


def is_person_event(event_name: str) -> bool:
    return event_name in _PERSON_EVENTS or event_name.startswith(_PERSON_PREFIXES)


def parse(event: StoredEvent, lookups: Lookups) -> list[IncomingPerson]:
    payload = load_json(event.body)
    event_name = str(payload.get("event_name") or "")
    if not is_person_event(event_name):
        return []  # no look-up, no record
    uid = user_id(payload)
    if not uid:
        raise BadPayload("no Zalo user id")
    person = IncomingPerson(channel=INPUT_SOURCE, zalo_user_id=uid, ticket_channel=TICKET)
    if event_name == "user_submit_info":
        info = payload.get("info")
        if not isinstance(info, dict):
            raise BadPayload("user_submit_info without info")
        _info(person, info)
        return [person]
    # A follow or a chat message: the name Zalo shows, what the person shared with the OA
    # (user/detail's shared_info), and a phone or e-mail typed in the chat, like in Messenger.
    # Not a request in itself: no ticket for it.
    person.ticket_channel = None
    detail = _user_detail(uid, lookups)
    person.zalo_name = text_of(detail.get("display_name"))
    text = message_text(event.body)
    if text:
        person.phone, person.email = contacts_in_text(text)
    shared = detail.get("shared_info")
    if isinstance(shared, dict):
        _info(person, shared)
    return [person]


def message_text(body: bytes) -> str | None:
    """The text of a `user_send_text` event."""
    try:
        payload = load_json(body)
    except BadPayload:
        return None
    message = payload.get("message")
    if str(payload.get("event_name", "")).startswith("user_send_text") and isinstance(message, dict):
        return text_of(message.get("text"))
    return None
