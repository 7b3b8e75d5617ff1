"""Zalo Official Account events (CHANNELS.md "Zalo Official Account")."""

from __future__ import annotations

import hashlib
import logging
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
from crm_app.services.incoming import IncomingPerson
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

name = "zalo"
label = "Zalo OA"
INPUT_SOURCE = "Zalo OA"
input_sources = (INPUT_SOURCE,)
TICKET = "zalo_oa"
ticket_keys = (TICKET,)

# Events that carry no person data for the CRM (echoes of our own messages, unfollows).
_IGNORED_PREFIXES = ("oa_send_", "unfollow")


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


def _display_name(uid: str, lookups: Lookups) -> str | None:
    # The name only decorates the record: a Zalo API outage must not hold back the follow itself.
    try:
        data = lookups.zalo_user(uid).get("data")
    except Exception as exc:  # noqa: BLE001 - any lookup failure degrades to "no name"
        log.warning("zalo user detail failed for a user: %s", exc)
        return None
    return text_of(data.get("display_name")) if isinstance(data, dict) else None


def _info(person: IncomingPerson, info: dict[str, Any]) -> None:
    """Both user_submit_info shapes: flat (address/ward/district/city) and nested full_address."""
    person.full_name = text_of(info.get("name"))
    person.phone = text_of(info.get("phone"))
    person.email = text_of(info.get("email"))
    nested = info.get("full_address")
    if isinstance(nested, dict):
        person.street = text_of(nested.get("user_address"))
        person.ward = text_of(nested.get("user_ward"))
        person.district = text_of(nested.get("user_district"))
        person.province = text_of(nested.get("user_city"))
    else:
        person.street = text_of(info.get("address"))
        person.ward = text_of(info.get("ward"))
        person.district = text_of(info.get("district"))
        person.province = text_of(info.get("city"))
    for key in ("user_dob", "gender"):
        if value := text_of(info.get(key)):
            person.extra[key] = value


def parse(event: StoredEvent, lookups: Lookups) -> list[IncomingPerson]:
    payload = load_json(event.body)
    event_name = str(payload.get("event_name") or "")
    if event_name.startswith(_IGNORED_PREFIXES):
        return []
    uid = user_id(payload)
    if not uid:
        raise BadPayload("no Zalo user id")
    person = IncomingPerson(channel=INPUT_SOURCE, zalo_user_id=uid, ticket_channel=TICKET)
    if event_name == "user_submit_info":
        info = payload.get("info")
        if not isinstance(info, dict):
            raise BadPayload("user_submit_info without info")
        _info(person, info)
    elif event_name == "follow" or event_name.startswith("user_send_"):
        person.zalo_name = _display_name(uid, lookups)
        # A plain follow or chat message is not a request: no ticket for it.
        person.ticket_channel = None
    else:
        return []
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
