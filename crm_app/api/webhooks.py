"""Channel webhooks (DESIGN §4-§6, CHANNELS.md): verify over the raw bytes, store, answer 200.

Handlers are sync (FastAPI runs them in its threadpool). The response is sent as soon as the
event is committed; processing (which may call the Zalo/Graph APIs for up to ~9 s) is a task on the
queue (services/tasks.py), so the 2 s (Zalo) / 5 s (Hana) acknowledgement budgets hold whatever the
providers' APIs do. A failure is kept on the event and retried automatically; an event whose task
message is lost (queue down, worker killed) is re-enqueued by the sweep: the row is the record.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from crm_app.db import get_engine, read_session
from crm_app.i18n import t
from crm_app.models import FormConfig
from crm_app.services import intake, ratelimit, tasks
from crm_app.services.channels import BadPayload, Unit, chatbot, facebook, forms, load_json, zalo
from crm_app.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

_MAX_SKEW = 300  # seconds allowed between a form's X-Timestamp and now
_ACK = {"description": "Stored (or already stored): the provider must not resend."}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not the provider's format."},
    401: {"description": "Signature or secret missing."},
    403: {"description": "Signature or secret wrong, or the channel is not configured."},
    413: {"description": "Body larger than CRM_WEBHOOK_BODY_LIMIT."},
    503: {"description": "Database unavailable: nothing stored, the provider should retry."},
}


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


def _same(given: str | None, expected: str) -> bool:
    # compare_digest on str raises for non-ASCII: compare bytes (DESIGN §6).
    return given is not None and hmac.compare_digest(given.strip().encode(), expected.encode())


def _deny(request: Request, channel: str, reason: str, status: int) -> HTTPException:
    client = request.client.host if request.client else "-"
    log.warning("webhook %s refused from %s: %s", channel, client, reason)
    return HTTPException(status, t("channel.forbidden" if status == 403 else "channel.unauthorized"))


def _json(body: bytes) -> dict[str, Any]:
    try:
        return load_json(body)
    except BadPayload as exc:
        raise HTTPException(400, t("channel.bad_request")) from exc


def _store(request: Request, channel: str, units: list[Unit]) -> dict[str, int]:
    """Commit every unit before answering; processing of the new ones (and of earlier failures the
    provider is resending) is queued, so its outcome never changes the answer."""
    engine = get_engine()
    stored = duplicates = 0
    try:
        with read_session(engine) as session:
            for unit in units:
                event, is_new = intake.record_event(session, channel, unit.key, unit.body, dict(request.headers))
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
             description="Zalo Official Account webhook (follow, unfollow, user_send_*, user_submit_info). "
                         "Header `X-ZEvent-Signature: mac=<hex>` with hex = SHA-256(app_id + raw body + "
                         "timestamp + OA secret key), timestamp being the body's `timestamp`. Deduplicated "
                         "on `message.msg_id`, else (event_name, user id, timestamp).")
def zalo_webhook(request: Request,
                 body: bytes = Depends(raw_body)) -> dict[str, int]:
    s = get_settings()
    if not (s.zalo_app_id and s.zalo_oa_secret):
        raise _deny(request, "zalo", "channel not configured", 403)
    header = request.headers.get("x-zevent-signature", "")
    if not header.startswith("mac="):
        raise _deny(request, "zalo", "signature missing", 401)
    payload = _json(body)
    timestamp = str(payload.get("timestamp", ""))
    if not _same(header[4:], zalo.signature(s.zalo_app_id, body, timestamp, s.zalo_oa_secret)):
        raise _deny(request, "zalo", "bad signature", 403)
    return _store(request, zalo.CHANNEL, zalo.split(payload, body))


# ---------------------------------------------------------------- Facebook

@router.get("/api/webhooks/facebook", summary="Facebook subscription check", response_class=PlainTextResponse,
            responses={403: {"description": "Wrong mode or verify token."}},
            description="Meta's verification handshake: answers `hub.challenge` as plain text when "
                        "`hub.mode=subscribe` and `hub.verify_token` equals CRM_FB_VERIFY_TOKEN, else 403.")
def facebook_verify(request: Request, mode: str = Query("", alias="hub.mode"),
                    token: str = Query("", alias="hub.verify_token"),
                    challenge: str = Query("", alias="hub.challenge", max_length=256)) -> PlainTextResponse:
    expected = get_settings().fb_verify_token
    if mode != "subscribe" or not expected or not _same(token, expected):
        raise _deny(request, "facebook", "bad verify token", 403)
    return PlainTextResponse(challenge)


@router.post("/api/webhooks/facebook", summary="Facebook Page events", responses={200: _ACK, **_ERRORS},
             description="Messenger messages (`entry[].messaging[]`, echoes skipped) and Lead Ads "
                         "(`entry[].changes[]` with field `leadgen`). Header `X-Hub-Signature-256: "
                         "sha256=<HMAC-SHA256(app secret, raw body)>`. A batch is stored as one event per "
                         "message `mid` / `leadgen_id`.")
def facebook_webhook(request: Request,
                     body: bytes = Depends(raw_body)) -> dict[str, int]:
    secret = get_settings().fb_app_secret
    if not secret:
        raise _deny(request, "facebook", "channel not configured", 403)
    header = request.headers.get("x-hub-signature-256")
    if not header:
        raise _deny(request, "facebook", "signature missing", 401)
    if not _same(header, facebook.signature(secret, body)):
        raise _deny(request, "facebook", "bad signature", 403)
    return _store(request, facebook.CHANNEL, facebook.split(_json(body), body))


# ---------------------------------------------------------------- chatbots

@router.post("/api/webhooks/chatbot/{provider}", summary="Chatbot events (Hana, Botbanhang)",
             responses={200: _ACK, 404: {"description": "Unknown provider."}, **_ERRORS},
             description="`provider` is `hana` or `botbanhang`. The provider's secret "
                         "(CRM_CHATBOT_SECRET_HANA / _BOTBANHANG) as header `X-Webhook-Token` or query "
                         "parameter `token`. Hana: `lead.*` attributes ({nomalizeData, rawData}); "
                         "Botbanhang: `client:new` and `order:new`.")
def chatbot_webhook(provider: str, request: Request,
                    body: bytes = Depends(raw_body), token: str | None = Query(None, max_length=256)
                    ) -> dict[str, int]:
    if provider not in chatbot.PROVIDERS:
        raise HTTPException(404, t("channel.provider_not_found"))
    s = get_settings()
    secret = s.chatbot_secret_hana if provider == "hana" else s.chatbot_secret_botbanhang
    if not secret:
        raise _deny(request, provider, "channel not configured", 403)
    given = request.headers.get("x-webhook-token") or token
    if not given:
        raise _deny(request, provider, "token missing", 401)
    if not _same(given, secret):
        raise _deny(request, provider, "bad token", 403)
    return _store(request, provider, chatbot.split(provider, _json(body), body))


# ---------------------------------------------------------------- forms

def _form_authenticated(request: Request, form: FormConfig, body: bytes, token: str | None) -> None:
    """X-Signature (HMAC of the raw body, optional X-Timestamp within ±300 s), else a shared token
    as Bearer, X-Webhook-Token or ?token= (for senders that cannot set headers)."""
    name = f"form {form.key}"
    signature = request.headers.get("x-signature")
    if signature:
        stamp = request.headers.get("x-timestamp")
        if stamp is not None:
            try:
                skew = abs(time.time() - float(stamp))
            except ValueError:
                skew = float("inf")
            if skew > _MAX_SKEW:
                raise _deny(request, name, "timestamp outside the window", 403)
        if not _same(signature, forms.signature(form.secret, body)):
            raise _deny(request, name, "bad signature", 403)
        return
    auth = request.headers.get("authorization", "")
    given = (auth[7:] if auth.lower().startswith("bearer ") else None) or request.headers.get("x-webhook-token") \
        or token
    if not given:
        raise _deny(request, name, "credentials missing", 401)
    if not _same(given, form.secret):
        raise _deny(request, name, "bad token", 403)


@router.post("/api/webhooks/forms/{form_key}", summary="Landing page / web form submissions",
             responses={200: _ACK, 404: {"description": "Unknown or inactive form key."}, **_ERRORS},
             description="A flat JSON object, LadiPage's `form_data`/`tracking_form` lists, or "
                         "`application/x-www-form-urlencoded`. Field names are matched case- and "
                         "accent-insensitively (phone, sdt, Số điện thoại, name, Họ và tên, email, address...) "
                         "plus the form's admin mapping. Authentication: `X-Signature: sha256=<HMAC-SHA256("
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
    _form_authenticated(request, form, body, token)
    return _store(request, forms.CHANNEL, forms.split(form.key, body, request.headers.get("idempotency-key")))
