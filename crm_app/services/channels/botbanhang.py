"""Botbanhang, a chatbot on a Facebook page (CHANNELS.md "Chatbot providers"): `client:new`
and `order:new` events."""

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
    text_of,
)
from crm_app.services.incoming import IncomingPerson
from crm_app.settings import get_settings

name = "botbanhang"
label = "Botbanhang"
INPUT_SOURCE = "Botbanhang"
input_sources = (INPUT_SOURCE,)
TICKET = "chatbot"
ticket_keys = (TICKET,)


def authenticate(delivery: Delivery) -> None:
    """CRM_CHATBOT_SECRET_BOTBANHANG as header `X-Webhook-Token` or `?token=`."""
    check_token(delivery.headers.get("x-webhook-token") or delivery.token,
                get_settings().chatbot_secret_botbanhang)


def split(delivery: Delivery) -> list[Unit]:
    """Keyed on the client's or the order's id; other events on the body's digest."""
    payload, raw = delivery.payload, delivery.body
    data = obj(payload.get("data"))
    event = str(payload.get("event") or "")
    if event == "client:new" and (cid := as_id(data.get("id"))):
        return [Unit(f"client:new:{cid}"[:255], raw)]
    if event == "order:new" and (oid := as_id(data.get("idorder"))):
        return [Unit(f"order:new:{oid}"[:255], raw)]
    return [Unit(f"{event}:{digest(raw)[:32]}"[:255], raw)]


def _name(node: dict[str, Any]) -> str | None:
    # Vietnamese order: family name first.
    full = " ".join(p for p in (text_of(node.get("last_name")), text_of(node.get("first_name"))) if p)
    return full or None


def parse(event: StoredEvent, _lookups: Lookups) -> list[IncomingPerson]:
    payload = load_json(event.body)
    kind = payload.get("event")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise BadPayload("Botbanhang body without data")
    person = IncomingPerson(channel=INPUT_SOURCE, ticket_channel=TICKET)
    if kind == "client:new":
        person.facebook_psid = as_id(data.get("psid")) or as_id(data.get("id"))
        person.facebook_name = _name(data)
        person.first_name, person.last_name = text_of(data.get("first_name")), text_of(data.get("last_name"))
        if gender := text_of(data.get("gender")):
            person.extra["gender"] = gender
    elif kind == "order:new":
        client = obj(data.get("client"))
        ship = obj(data.get("ship"))
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
        return []
    if not (person.facebook_psid or person.phone or person.email):
        raise BadPayload("Botbanhang event without any identity")
    return [person]


def message_text(_body: bytes) -> str | None:
    return None  # Botbanhang posts clients and orders, not the conversation's messages
