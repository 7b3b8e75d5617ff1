"""Facebook Page webhooks: Messenger messages and Lead Ads (CHANNELS.md "Facebook (Meta)")."""

from __future__ import annotations

import logging
import re
from typing import Any

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Lookups,
    Refused,
    StoredEvent,
    Unit,
    as_id,
    botbanhang,
    dump,
    hana,
    hmac_sha256,
    load_json,
    obj,
    same_secret,
    seq,
    text_of,
)
from crm_app.services.incoming import IncomingPerson
from crm_app.services.phones import normalise_phone
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

name = "facebook"
label = "Facebook"
MESSENGER_SOURCE = "Facebook"
LEAD_ADS_SOURCE = "Facebook Lead Ads"
input_sources = (LEAD_ADS_SOURCE, MESSENGER_SOURCE)
TICKET = "webform"  # a Lead Ads form is a web form for the ticket rules
ticket_keys = (TICKET,)
# Chatbots that can run a page's Messenger (CRM_FB_PAGE_PROVIDERS).
PAGE_PROVIDERS = (hana.INPUT_SOURCE, botbanhang.INPUT_SOURCE)

# A Vietnamese number typed in a chat: +84/84/0 then 9-10 digits, spaces, dots or dashes allowed.
_PHONE_RE = re.compile(r"(?<![\d+])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def authenticate(delivery: Delivery) -> None:
    """Header `X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, raw body)>`."""
    secret = get_settings().fb_app_secret
    if not secret:
        raise Refused("channel not configured")
    header = delivery.headers.get("x-hub-signature-256")
    if not header:
        raise Refused("signature missing", missing=True)
    if not same_secret(header, hmac_sha256(secret, delivery.body)):
        raise Refused("bad signature")


def verify_subscription(mode: str, token: str) -> bool:
    """Meta's GET handshake: `hub.mode=subscribe` with our verify token."""
    expected = get_settings().fb_verify_token
    return mode == "subscribe" and bool(expected) and same_secret(token, expected)


def split(delivery: Delivery) -> list[Unit]:
    """One unit per messaging event (key: mid) and per leadgen change (key: leadgen_id);
    each unit is stored as a one-event copy of the batch."""
    payload = delivery.payload
    units: list[Unit] = []
    entries = seq(payload.get("entry"))
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        head = {k: entry.get(k) for k in ("id", "time")}
        for item in entry.get("messaging") or []:
            if not isinstance(item, dict):
                continue
            node = item.get("message") or item.get("postback") or {}
            mid = as_id(node.get("mid")) if isinstance(node, dict) else None
            sender = obj(item.get("sender"))
            key = f"mid:{mid}" if mid else f"msg:{as_id(sender.get('id'))}:{as_id(item.get('timestamp'))}"
            units.append(Unit(key[:255], dump({"object": payload.get("object"),
                                                "entry": [{**head, "messaging": [item]}]})))
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = obj(change.get("value"))
            leadgen_id = as_id(value.get("leadgen_id"))
            if leadgen_id:
                units.append(Unit(f"leadgen:{leadgen_id}"[:255],
                                  dump({"object": payload.get("object"),
                                        "entry": [{**head, "changes": [change]}]})))
    return units


def contacts_in_text(text: str) -> tuple[str | None, str | None]:
    """(phone, email) typed in a message; the phone only if it is a valid Vietnamese number."""
    phone = None
    for match in _PHONE_RE.finditer(text):
        if (phone := normalise_phone(match.group(0))) is not None:
            break
    email = _EMAIL_RE.search(text)
    return phone, email.group(0) if email else None


def _profile_name(psid: str, lookups: Lookups) -> str | None:
    # The name only decorates the record: a Graph outage must not hold back the message.
    try:
        data = lookups.fb_profile(psid)
    except Exception as exc:  # noqa: BLE001 - any lookup failure degrades to "no name"
        log.warning("graph profile failed for a PSID: %s", exc)
        return None
    # Vietnamese order: family name first ("Nguyễn Cường").
    name = " ".join(p for p in (text_of(data.get("last_name")), text_of(data.get("first_name"))) if p)
    return name or None


def page_provider(page_id: str | None) -> str:
    """The input source of a page's Messenger conversations: the chatbot that runs the page
    (CRM_FB_PAGE_PROVIDERS="<page id>:Hana,<page id>:Botbanhang"), else Facebook."""
    for pair in get_settings().fb_page_providers.split(","):
        page, _, provider = pair.strip().partition(":")
        if page and page == page_id and provider.strip() in PAGE_PROVIDERS:
            return provider.strip()
    return MESSENGER_SOURCE


def _messaging(item: dict[str, Any], lookups: Lookups, page_id: str | None = None) -> IncomingPerson | None:
    message = item.get("message") if isinstance(item.get("message"), dict) else None
    if message is not None and message.get("is_echo"):
        return None  # the page's own reply
    sender = obj(item.get("sender"))
    psid = as_id(sender.get("id"))
    if not psid:
        raise BadPayload("messaging event without sender")
    person = IncomingPerson(channel=page_provider(page_id), facebook_psid=psid,
                            facebook_name=_profile_name(psid, lookups))
    text = text_of(message.get("text")) if message else None
    if text:
        person.phone, person.email = contacts_in_text(text)
    return person


def _field_values(field_data: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for field in field_data:
        if isinstance(field, dict) and (name := text_of(field.get("name"))):
            values = seq(field.get("values"))
            joined = ", ".join(v for v in (text_of(x) for x in values) if v)
            if joined:
                out[name] = joined
    return out


_LEADGEN_FIELDS = {"full_name": "full_name", "first_name": "first_name", "last_name": "last_name",
                   "email": "email", "phone_number": "phone", "city": "province",
                   "street_address": "street"}


def _leadgen(value: dict[str, Any], lookups: Lookups) -> IncomingPerson:
    leadgen_id = as_id(value.get("leadgen_id"))
    if not leadgen_id:
        raise BadPayload("leadgen change without leadgen_id")
    # Without the answers there is nothing to store: let the failure keep the event for retry.
    answers = _field_values(lookups.fb_leadgen(leadgen_id).get("field_data") or [])
    person = IncomingPerson(channel=LEAD_ADS_SOURCE, ticket_channel=TICKET)
    for name, text in answers.items():
        if name in _LEADGEN_FIELDS:
            setattr(person, _LEADGEN_FIELDS[name], text)
        else:
            person.extra[name] = text  # custom questions
    return person


def parse(event: StoredEvent, lookups: Lookups) -> list[IncomingPerson]:
    payload = load_json(event.body)
    people: list[IncomingPerson] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        page_id = as_id(entry.get("id"))
        for item in entry.get("messaging") or []:
            if isinstance(item, dict) and (person := _messaging(item, lookups, page_id)) is not None:
                people.append(person)
        for change in entry.get("changes") or []:
            if isinstance(change, dict) and change.get("field") == "leadgen" and isinstance(change.get("value"), dict):
                people.append(_leadgen(change["value"], lookups))
    return people


def message_text(body: bytes) -> str | None:
    """The text of the first Messenger message (not the page's own echo) in a stored unit."""
    try:
        payload = load_json(body)
    except BadPayload:
        return None
    for entry in payload.get("entry") or []:
        for item in (entry.get("messaging") or []) if isinstance(entry, dict) else []:
            message = item.get("message") if isinstance(item, dict) else None
            if isinstance(message, dict) and not message.get("is_echo"):
                return text_of(message.get("text"))
    return None
