"""Channel webhooks (DESIGN §4-§6, CHANNELS.md): verify over the raw bytes, store, answer 200.

Handlers are sync (FastAPI runs them in its threadpool). The response is sent as soon as the
event is committed; processing (which may call the Zalo/Graph APIs for up to ~9 s) is a task on the
queue (services/tasks.py), so the 2 s (Zalo) / 5 s (Hana) acknowledgement budgets hold whatever the
providers' APIs do. A failure is kept on the event and retried automatically; an event whose task
message is lost (queue down, worker killed) is re-enqueued by the sweep: the row is the record.
"""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from crm_app.api.errors import responses
from crm_app.api.openapi import CHATBOT_EVENT, FACEBOOK_EVENT, FORM_SUBMISSION, ZALO_EVENT, json_body, secured
from crm_app.db import get_engine, read_session
from crm_app.i18n import t
from crm_app.models import FormConfig
from crm_app.services import intake, ratelimit, tasks
from crm_app.services.channels import (
    MAX_JSON_DEPTH,
    BadPayload,
    Channel,
    Delivery,
    Refused,
    Unit,
    facebook,
    form_body,
    forms,
    raw_depth,
    registry,
    zalo,
)
from crm_app.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

_ACK = {"description": "Stored (or already stored): the provider must not resend."}
_ERRORS = responses(
    400, 401, 403, 413, 429, 503, n400="Body is not the provider's format.", n401="Signature or secret missing.",
    n403="Signature or secret wrong, or the channel is not configured.",
    n413="Body larger than CRM_WEBHOOK_BODY_LIMIT.", n429="This source sends faster than CRM_WEBHOOK_RATE.",
    n503="Database unavailable: nothing stored, the provider should retry.")


async def raw_body(request: Request) -> bytes:
    """The exact bytes received (signatures cover them), refused past the configured size, and
    refused with 429 when one source sends faster than the configured rate."""
    settings = get_settings()
    source = request.client.host if request.client else "?"
    allowed, retry_after = ratelimit.hit(f"webhook:{source}", settings.webhook_rate, settings.webhook_burst)
    if not allowed:
        raise HTTPException(429, t("channel.too_many"), headers={"Retry-After": str(max(1, math.ceil(retry_after)))})
    limit = settings.webhook_body_limit
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise HTTPException(413, t("channel.too_large"))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # senders that announce no length are counted too
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, t("channel.too_large"))
        chunks.append(chunk)
    return b"".join(chunks)


# What a JSON provider may label its body with ("" when it says nothing).
_JSON_TYPES = ("", "application/json", "text/json", "text/plain")


def check_body(channel: Channel, delivery: Delivery) -> None:
    """Before anything else (signature, parsing, storage): an empty body, a body that is not what
    its Content-Type says, JSON nested deeper than any provider's: BadPayload (a 400)."""
    if not delivery.body.strip():
        raise BadPayload("empty body")
    if channel is forms:
        return  # the form reader checks its three formats itself (forms.split)
    media = form_body.media_type(delivery.headers.get("content-type", ""))
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise BadPayload(f"{media} is not JSON")
    if delivery.body.lstrip()[:1] not in (b"{", b"["):
        raise BadPayload("body is not JSON")
    if raw_depth(delivery.body) > MAX_JSON_DEPTH:
        raise BadPayload("JSON nested too deeply")


def _receive(request: Request, channel: Channel, delivery: Delivery, *, who: str | None = None) -> dict[str, int]:
    """Authenticate, split and store one delivery for `channel` (`who` names it in the log)."""
    try:
        check_body(channel, delivery)
        channel.authenticate(delivery)
        units = channel.split(delivery)
    except Refused as exc:
        client = request.client.host if request.client else "-"
        log.warning("webhook %s refused from %s: %s", who or channel.name, client, exc.reason)
        raise HTTPException(401 if exc.missing else 403,
                            t("channel.unauthorized" if exc.missing else "channel.forbidden")) from exc
    except BadPayload as exc:
        raise HTTPException(400, t("channel.bad_request")) from exc
    form_key = delivery.form.key if delivery.form is not None else ""
    return _store(request, channel.name, units, form_key)


def _store(request: Request, channel: str, units: list[Unit], form_key: str) -> dict[str, int]:
    """Commit every unit before answering; processing of the new ones (and of earlier failures the
    provider is resending) is queued, so its outcome never changes the answer."""
    engine = get_engine()
    stored = duplicates = 0
    try:
        with read_session(engine) as session:
            for unit in units:
                event, is_new = intake.record_event(session, channel, unit.key, unit.body, dict(request.headers),
                                                    form_key=form_key)
                stored += is_new
                duplicates += not is_new
                if is_new or event.status == intake.FAILED:
                    assert event.id is not None
                    tasks.enqueue_event(event.id)
    except SQLAlchemyError as exc:
        log.error("webhook %s: database unavailable: %s", channel, type(exc).__name__)
        raise HTTPException(503, t("channel.unavailable"), headers={"Retry-After": "30"}) from exc
    return {"stored": stored, "duplicates": duplicates}


# ---------------------------------------------------------------- Zalo OA

@router.post("/api/webhooks/zalo", summary="Zalo OA events", responses={200: _ACK, **_ERRORS},
             openapi_extra={**json_body(ZALO_EVENT), **secured("zaloSignature")},
             description="Zalo Official Account webhook (follow, unfollow, user_send_*, user_submit_info). "
                         "Header `X-ZEvent-Signature: mac=<hex>` with hex = SHA-256(app_id + raw body + "
                         "timestamp + OA secret key), timestamp being the body's `timestamp`. Deduplicated "
                         "on `message.msg_id`, else (event_name, user id, timestamp).")
def zalo_webhook(request: Request, body: bytes = Depends(raw_body)) -> dict[str, int]:
    return _receive(request, zalo, Delivery(body, request.headers))


# ---------------------------------------------------------------- Facebook

@router.get("/api/webhooks/facebook", summary="Facebook subscription check", response_class=PlainTextResponse,
            responses=responses(403, 422, n403="Wrong mode or verify token."),
            description="Meta's verification handshake: answers `hub.challenge` as plain text when "
                        "`hub.mode=subscribe` and `hub.verify_token` equals CRM_FB_VERIFY_TOKEN, else 403.")
def facebook_verify(request: Request, mode: str = Query("", alias="hub.mode"),
                    token: str = Query("", alias="hub.verify_token"),
                    challenge: str = Query("", alias="hub.challenge", max_length=256)) -> PlainTextResponse:
    if not facebook.verify_subscription(mode, token):
        client = request.client.host if request.client else "-"
        log.warning("webhook facebook refused from %s: bad verify token", client)
        raise HTTPException(403, t("channel.forbidden"))
    return PlainTextResponse(challenge)


@router.post("/api/webhooks/facebook", summary="Facebook Page events", responses={200: _ACK, **_ERRORS},
             openapi_extra={**json_body(FACEBOOK_EVENT), **secured("facebookSignature")},
             description="Messenger messages (`entry[].messaging[]`, echoes skipped) and Lead Ads "
                         "(`entry[].changes[]` with field `leadgen`). Header `X-Hub-Signature-256: "
                         "sha256=<HMAC-SHA256(app secret, raw body)>`. A batch is stored as one event per "
                         "message `mid` / `leadgen_id`.")
def facebook_webhook(request: Request, body: bytes = Depends(raw_body)) -> dict[str, int]:
    return _receive(request, facebook, Delivery(body, request.headers))


# ---------------------------------------------------------------- chatbots

@router.post("/api/webhooks/chatbot/{provider}",
             summary=f"Chatbot events ({', '.join(c.label for c in registry.CHATBOTS)})",
             responses={200: _ACK, **_ERRORS, **responses(404, 422, n404="Unknown provider.")},
             openapi_extra={**json_body(CHATBOT_EVENT), **secured("webhookToken")},
             description=f"`provider`: {', '.join(f'`{c.name}`' for c in registry.CHATBOTS)}. The provider's "
                         "secret (CRM_CHATBOT_SECRET_<PROVIDER>) as header `X-Webhook-Token` or query "
                         "parameter `token`. Hana: `lead.*` attributes ({nomalizeData, rawData}); "
                         "Botbanhang: `client:new` and `order:new`.")
def chatbot_webhook(provider: str, request: Request,
                    body: bytes = Depends(raw_body), token: str | None = Query(None, max_length=256)
                    ) -> dict[str, int]:
    channel = registry.chatbot(provider)
    if channel is None:
        raise HTTPException(404, t("channel.provider_not_found"))
    return _receive(request, channel, Delivery(body, request.headers, token))


# ---------------------------------------------------------------- forms

@router.post("/api/webhooks/forms/{form_key}", summary="Landing page / web form submissions",
             responses={200: _ACK, **_ERRORS, **responses(404, 422, n404="Unknown or inactive form key.")},
             openapi_extra={"requestBody": FORM_SUBMISSION, **secured("formSignature", "webhookToken")},
             description="JSON (flat, nested, lists of `{name, value}` such as LadiPage's `form_data`, "
                         "Typeform's `form_response`), `application/x-www-form-urlencoded` (repeated and `a[]` "
                         "keys as lists, PHP-style `fields[x][value]`, Unbounce's `data.json`) or "
                         "`multipart/form-data` (Jotform's `rawRequest`). Field names are matched case- and "
                         "accent-insensitively (phone, sdt, Số điện thoại, name, Họ và tên, email, address...) "
                         "plus the form's admin mapping, which wins; every other answer is kept on the record. "
                         "An empty body, a body that is not what its Content-Type says or JSON nested deeper "
                         "than 32 levels is answered 400 and not stored. "
                         "Authentication: `X-Signature: sha256=<HMAC-SHA256("
                         "form secret, raw body)>` (optional `X-Timestamp` within ±300 s), or the secret as "
                         "`Authorization: Bearer`, `X-Webhook-Token` or `?token=`. An `Idempotency-Key` header "
                         "dedupes; without it an identical body is a redelivery.")
def form_webhook(form_key: str, request: Request,
                 body: bytes = Depends(raw_body), token: str | None = Query(None, max_length=256)
                 ) -> dict[str, int]:
    try:
        with read_session() as session:
            form = session.exec(select(FormConfig).where(FormConfig.key == form_key[:64])).first()
    except SQLAlchemyError as exc:
        raise HTTPException(503, t("channel.unavailable"), headers={"Retry-After": "30"}) from exc
    if form is None or not form.is_active:
        raise HTTPException(404, t("channel.form_not_found"))
    return _receive(request, forms, Delivery(body, request.headers, token, form), who=f"form {form.key}")
