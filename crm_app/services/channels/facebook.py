"""Facebook Page webhooks: Messenger messages and Lead Ads (CHANNELS.md "Facebook (Meta)")."""

from __future__ import annotations

import logging
import re
from typing import Any

from crm_app.services.channels import (
    BadPayload,
    Delivery,
    Gone,
    Lookups,
    Refused,
    StoredEvent,
    Unit,
    as_id,
    botbanhang,
    digest,
    dump,
    form_body,
    forms,
    hana,
    hmac_sha256,
    load_json,
    obj,
    same_secret,
    seq,
    text_of,
)
from crm_app.services.incoming import ATTRIBUTION_ALIASES, IncomingPerson
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
            if not isinstance(change, dict):
                continue
            value = obj(change.get("value"))
            leadgen_id = as_id(value.get("leadgen_id")) if change.get("field") == "leadgen" else None
            stored = dump({"object": payload.get("object"), "entry": [{**head, "changes": [change]}]})
            # Other subscribed fields (the dashboard's test samples, feed, ...) are kept, and end
            # "ignored": acknowledged and visible to the admin, never a record.
            key = f"leadgen:{leadgen_id}" if leadgen_id else f"change:{text_of(change.get('field'))}:{digest(stored)}"
            units.append(Unit(key[:255], stored))
    return units


def contacts_in_text(text: str) -> tuple[str | None, str | None]:
    """(phone, email) typed in a message; the phone only if it is a valid Vietnamese number."""
    phone = None
    for match in _PHONE_RE.finditer(text):
        if (phone := normalise_phone(match.group(0))) is not None:
            break
    email = _EMAIL_RE.search(text)
    return phone, email.group(0) if email else None


def _profile(psid: str, lookups: Lookups) -> tuple[str | None, str | None, str | None]:
    """(Facebook name, first name, last name) of a PSID's profile."""
    # The name only decorates the record: a Graph outage must not hold back the message.
    try:
        data = lookups.fb_profile(psid)
    except Exception as exc:  # noqa: BLE001 - any lookup failure degrades to "no name"
        log.warning("graph profile failed for a PSID: %s", exc)
        return None, None, None
    first, last = text_of(data.get("first_name")), text_of(data.get("last_name"))
    # Vietnamese order: family name first ("Nguyễn Cường").
    name = " ".join(p for p in (last, first) if p)
    return name or None, first, last


def page_provider(page_id: str | None) -> str:
    """The input source of a page's Messenger conversations: the chatbot that runs the page
    (CRM_FB_PAGE_PROVIDERS="<page id>:Hana,<page id>:Botbanhang"), else Facebook."""
    for pair in get_settings().fb_page_providers.split(","):
        page, _, provider = pair.strip().partition(":")
        if page and page == page_id and provider.strip() in PAGE_PROVIDERS:
            return provider.strip()
    return MESSENGER_SOURCE


def is_person_writing(item: dict[str, Any]) -> bool:
    """A message, a postback (a button pressed) or a referral (an ad or link opened the chat) is a
    person reaching the page. Deliveries, reads, reactions, opt-ins, the page's own echoes and any
    other notification are not: no look-up, no record."""
    message = item.get("message")
    if isinstance(message, dict):
        return not message.get("is_echo")
    return isinstance(item.get("postback"), dict) or isinstance(item.get("referral"), dict)


def _referral(person: IncomingPerson, referral: dict[str, Any]) -> None:
    """Where the conversation came from (m.me link, Click-to-Messenger ad): kept on the record."""
    for key in ("ref", "source", "type"):
        if value := text_of(referral.get(key)):
            person.extra[f"referral.{key}"] = value
    if ad_id := as_id(referral.get("ad_id")):
        person.attribution["ad_id"] = ad_id
    context = obj(referral.get("ads_context_data"))
    if title := text_of(context.get("ad_title")):
        person.extra["ad_title"] = title


def _messaging(item: dict[str, Any], lookups: Lookups, page_id: str | None = None) -> IncomingPerson | None:
    if not is_person_writing(item):
        return None
    message = item.get("message") if isinstance(item.get("message"), dict) else None
    sender = obj(item.get("sender"))
    psid = as_id(sender.get("id"))
    if not psid:
        return None  # a plugin's user_ref, not a person the page can write to
    name, first, last = _profile(psid, lookups)
    person = IncomingPerson(channel=page_provider(page_id), facebook_psid=psid, facebook_name=name,
                            first_name=first, last_name=last)
    text = text_of(message.get("text")) if message else None
    if text:
        person.phone, person.email = contacts_in_text(text)
    if message and (reply := text_of(obj(message.get("quick_reply")).get("payload"))):
        person.extra["quick_reply"] = reply
    postback = obj(item.get("postback"))
    if title := text_of(postback.get("title")):
        person.extra["postback"] = title
    for referral in (item.get("referral"), postback.get("referral")):
        if isinstance(referral, dict):
            _referral(person, referral)
    return person


# Meta's standard questions, by key in any case (the Testing Tool sends FULL_NAME, PHONE, EMAIL):
# the field key of field_synonyms each one fills. Custom questions carry ids of their own and go
# through the synonym table, else are kept as answers.
META_QUESTIONS = {
    "full_name": "full_name", "first_name": "first_name", "last_name": "last_name", "email": "email",
    "phone_number": "phone_number", "phone": "phone_number", "city": "province", "province": "province",
    "state": "province", "street_address": "street", "country": "country", "company_name": "company",
    "job_title": "title", "date_of_birth": "birthday", "dob": "birthday", "work_email": "email",
    "work_phone_number": "phone_number", "mobile_phone_number": "phone_number",
}


def leadgen_answers(field_data: list[Any]) -> list[form_body.Answer]:
    """field_data as form answers; the question's standard type (Meta's key) travels as `kind`."""
    answers: list[form_body.Answer] = []
    for field in field_data:
        if not isinstance(field, dict) or not (name := text_of(field.get("name"))):
            continue
        values = [v for v in (text_of(x) for x in seq(field.get("values"))) if v]
        if not values:
            continue
        standard = META_QUESTIONS.get(name.lower())
        kind = standard if standard in ("email", "phone_number", "full_name", "first_name", "last_name") else None
        label = standard if standard and kind is None else name
        answers.append(form_body.Answer(label=label, value=values if len(values) > 1 else values[0],
                                        names=(name,), kind=kind))
    return answers


def _leadgen(value: dict[str, Any], lookups: Lookups) -> IncomingPerson | None:
    leadgen_id = as_id(value.get("leadgen_id"))
    if not leadgen_id:
        raise BadPayload("leadgen change without leadgen_id")
    # Without the answers there is nothing to store: a failure keeps the event for a retry. A lead
    # Graph says does not exist (the dashboard's sample, a deleted lead) never will be: ignored.
    try:
        lead = lookups.fb_leadgen(leadgen_id)
    except Gone as exc:
        log.info("leadgen %s is gone: %s", leadgen_id, exc)
        return None
    person = forms.person_from_answers(leadgen_answers(seq(lead.get("field_data"))), channel=LEAD_ADS_SOURCE,
                                       ticket=TICKET)
    person.extra.pop("page_url", None)
    # The notification's ids, then the Graph answer's names (and ids it alone has).
    for source in (value, lead):
        for key, alias in ATTRIBUTION_ALIASES.items():
            found = as_id(source.get(key))
            if found is not None and alias not in person.attribution:
                person.attribution[alias] = found
    person.extra["leadgen_id"] = leadgen_id
    if lead.get("is_organic") is True:
        person.extra["is_organic"] = "true"
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
            if (isinstance(change, dict) and change.get("field") == "leadgen"
                    and isinstance(change.get("value"), dict)
                    and (lead := _leadgen(change["value"], lookups)) is not None):
                people.append(lead)
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
