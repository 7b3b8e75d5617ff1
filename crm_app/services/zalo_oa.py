"""The Zalo Official Account connection: OAuth v4 with PKCE, tokens in the database, refreshed
before they expire and once when an OA API call says the token is expired (CHANNELS.md).

Zalo's access token lives about 25 hours; its refresh token about 3 months and can be spent
**once**. So every refresh takes a lease on the connection row first (a short write transaction,
`SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), re-reads the row, and only then
calls Zalo; a worker that finds the lease taken waits and then uses the pair the other saved. The
HTTP call itself runs outside any transaction: holding SQLite's single write lock for a network
round trip would stall every webhook. A reused or expired refresh token (`-14020`) marks the
connection broken and the settings screen asks an admin to reconnect.

Tokens are stored encrypted (services/secret_box.py) and never logged, never put in a URL. The
environment's `CRM_ZALO_OA_ACCESS_TOKEN` stays a bootstrap fallback while no connection is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm_app.db import get_engine, read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ZaloConnection, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin
from crm_app.services.secret_box import SecretUnreadable, seal, unseal
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

CONNECTED, BROKEN, DISCONNECTED = "connected", "broken", "disconnected"
ROW_ID = 1
CALLBACK_PATH = "/api/zalo/oauth/callback"
STATE_TTL = timedelta(minutes=15)  # an admin's time on Zalo's consent page
REFRESH_AHEAD = timedelta(hours=2)  # the periodic task (every 30 min) renews a token this close to expiry
USE_MARGIN = timedelta(minutes=5)  # a call refreshes first rather than send a token about to expire
LEASE = timedelta(seconds=30)  # longer than the token call's timeout: a dead holder frees it by then
LEASE_POLL_SECONDS = 0.1
HTTP_TIMEOUT = 10.0
DEFAULT_ACCESS_SECONDS = 90_000  # 25 h, when an answer omits expires_in
DEFAULT_REFRESH_DAYS = 90
EXPIRED_TOKEN = -216
REFRESH_TOKEN_SPENT = -14020

T = TypeVar("T")


class ZaloOAError(Exception):
    """A token or OA call that failed; it may pass (network, Zalo busy). Messages hold no token."""


class ReauthorizationNeeded(ZaloOAError):
    """The stored refresh token is spent, expired or unreadable: an admin must reconnect."""


class NotConnected(ZaloOAError):
    """No usable token: the OA was never connected (and no bootstrap token is set)."""


@dataclass(frozen=True)
class Token:
    value: str
    version: int | None  # the row's version; None for the environment's bootstrap token


@dataclass(frozen=True)
class ConnectionStatus:
    status: str
    configured: bool
    env_token: bool
    oa_id: str
    oa_name: str
    connected_at: datetime | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_refresh_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    version: int


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url, without padding, of the SHA-256 of the verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def callback_url(origin: str) -> str:
    """The redirect URI to register in the Zalo app: on CRM_PUBLIC_ORIGIN when set (behind a proxy
    the browser's origin is the public one anyway), else on the origin the admin is using."""
    public = [o.strip() for o in get_settings().public_origin.split(",") if o.strip()]
    return (public[0] if public else origin).rstrip("/") + CALLBACK_PATH


def configured() -> bool:
    s = get_settings()
    return bool(s.zalo_app_id and s.zalo_app_secret)


# --- the row ---------------------------------------------------------------------------------

def _ensure_row(session: Session) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(ZaloConnection).values(
        id=ROW_ID, status=DISCONNECTED, app_id="", oa_id="", oa_name="", access_token="", refresh_token="",
        version=0, last_error="", refresh_holder="", pending_state_hash="", pending_verifier="",
    ).on_conflict_do_nothing(index_elements=["id"]))


def _locked_row(session: Session) -> ZaloConnection:
    """The row, locked for this transaction (created if missing); call inside write_session."""
    _ensure_row(session)
    session.expire_all()
    row = session.exec(select(ZaloConnection).where(ZaloConnection.id == ROW_ID).with_for_update()).one()
    return row


def _read_row(engine: Engine) -> ZaloConnection | None:
    with read_session(engine) as session:
        return session.get(ZaloConnection, ROW_ID)


# --- the OAuth token endpoint ----------------------------------------------------------------

def _error_code(data: Any) -> int:
    """Zalo answers failures with HTTP 200 and a non-zero `error` (a number, sometimes a string)."""
    if not isinstance(data, dict):
        return 0
    raw = data.get("error")
    if raw in (None, "", 0, "0"):
        return 0
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


def _error_text(data: dict[str, Any], code: int) -> str:
    words = [str(data.get(k) or "") for k in ("error_name", "error_reason", "error_description", "message")]
    text = " · ".join(dict.fromkeys(w.strip() for w in words if w.strip()))
    return f"Zalo {code}: {text}"[:300] if text else f"Zalo {code}"


def _token_call(form: dict[str, str]) -> dict[str, Any]:
    """POST {oauth base}/v4/oa/access_token (form-encoded, header `secret_key`)."""
    s = get_settings()
    try:
        response = httpx.post(f"{s.zalo_oauth_base.rstrip('/')}/v4/oa/access_token", data=form,
                              headers={"secret_key": s.zalo_app_secret}, timeout=HTTP_TIMEOUT)
    except httpx.HTTPError as exc:  # the exception's text is only the URL and the reason
        raise ZaloOAError(f"Zalo OAuth không trả lời ({type(exc).__name__})") from exc
    if response.status_code >= 500:
        raise ZaloOAError(f"Zalo OAuth HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ZaloOAError(f"Zalo OAuth HTTP {response.status_code}: câu trả lời không phải JSON") from exc
    code = _error_code(data)
    if code:
        # A definite "no" to a refresh means this refresh token will never work again.
        spent = code == REFRESH_TOKEN_SPENT or form.get("grant_type") == "refresh_token"
        raise (ReauthorizationNeeded if spent else ZaloOAError)(_error_text(data, code))
    if not isinstance(data, dict) or not data.get("access_token"):
        raise ZaloOAError(f"Zalo OAuth HTTP {response.status_code}: thiếu access_token")
    return data


def _seconds(value: Any, default: int) -> int:
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


def _store_pair(row: ZaloConnection, answer: dict[str, Any], now: datetime) -> Token:
    """Save the new pair together: the old refresh token is spent from this moment on."""
    access = str(answer["access_token"])
    row.access_token = seal(access)
    row.refresh_token = seal(str(answer.get("refresh_token") or ""))
    row.access_expires_at = now + timedelta(seconds=_seconds(answer.get("expires_in"), DEFAULT_ACCESS_SECONDS))
    row.refresh_expires_at = now + timedelta(seconds=_seconds(answer.get("refresh_token_expires_in"),
                                                              DEFAULT_REFRESH_DAYS * 86400))
    row.version += 1
    row.last_refresh_at = now
    row.status = CONNECTED
    row.last_error, row.last_error_at = "", None
    return Token(access, row.version)


def _oa_info(access: str) -> dict[str, Any]:
    """The OA's id and name for the settings screen; a failure only leaves them blank."""
    try:
        response = httpx.get(f"{get_settings().zalo_api_base.rstrip('/')}/v2.0/oa/getoa",
                             headers={"access_token": access}, timeout=HTTP_TIMEOUT)
        data = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


# --- connecting (admins) ---------------------------------------------------------------------

def start_authorization(engine: Engine, actor: Actor | None, origin: str) -> str:
    """Admin only. The Zalo permission URL to send the admin's browser to; the PKCE verifier stays
    here (encrypted), only a hash of `state` is kept. A newer start replaces an unfinished one."""
    admin = require_admin(actor)
    if not configured():
        raise UserError("zalo.not_configured")
    s = get_settings()
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    with write_session(engine) as session:
        row = _locked_row(session)
        row.pending_state_hash, row.pending_verifier = _hash(state), seal(verifier)
        row.pending_user_id, row.pending_at = admin.id, utcnow()
    query = urlencode({"app_id": s.zalo_app_id, "redirect_uri": callback_url(origin),
                       "code_challenge": code_challenge(verifier), "state": state})
    return f"{s.zalo_oauth_base.rstrip('/')}/v4/oa/permission?{query}"


def complete_authorization(engine: Engine, *, code: str, state: str, oa_id: str = "") -> None:
    """The callback: `state` must be the pending one (single use, STATE_TTL); the code is exchanged
    with the verifier. The state is what authorises this request: Zalo's redirect arrives without
    the admin's session cookie (SameSite=Strict)."""
    if not code or not state:
        raise UserError("zalo.callback.denied")
    with write_session(engine) as session:
        row = _locked_row(session)
        expected = row.pending_state_hash or _hash("no-pending-state")
        matches = hmac.compare_digest(_hash(state).encode(), expected.encode()) and bool(row.pending_state_hash)
        fresh = row.pending_at is not None and utcnow() - _aware(row.pending_at) <= STATE_TTL  # type: ignore[operator]
        verifier = unseal(row.pending_verifier) if matches and fresh else ""
        user_id = row.pending_user_id
        if matches:  # single use, spent even when too old
            row.pending_state_hash, row.pending_verifier, row.pending_user_id, row.pending_at = "", "", None, None
    if not matches:
        raise UserError("zalo.callback.invalid")
    if not verifier:
        raise UserError("zalo.callback.expired")
    s = get_settings()
    try:
        answer = _token_call({"code": code, "app_id": s.zalo_app_id, "grant_type": "authorization_code",
                              "code_verifier": verifier})
    except ZaloOAError as exc:
        _note_error(engine, str(exc))
        raise UserError("zalo.callback.failed", detail=str(exc)) from exc
    info = _oa_info(str(answer["access_token"]))
    with write_session(engine) as session:
        row = _locked_row(session)
        _store_pair(row, answer, utcnow())
        row.app_id = s.zalo_app_id
        row.oa_id = str(info.get("oa_id") or oa_id or "")[:32]
        row.oa_name = str(info.get("name") or "")[:255]
        row.connected_at, row.connected_by_id = utcnow(), user_id
        row.refresh_lease_until, row.refresh_holder = None, ""
        audit.record(session=session, entity="zalo_connection", entity_id=ROW_ID, action="connected",
                     user_id=user_id, changes={"oa_id": [None, row.oa_id]})
    log.info("Zalo OA connected (oa %s)", row.oa_id or "?")


def disconnect(engine: Engine, actor: Actor | None) -> None:
    """Admin only: forget the tokens (the OA falls back to the bootstrap token, if any)."""
    admin = require_admin(actor)
    with write_session(engine) as session:
        row = _locked_row(session)
        row.status, row.access_token, row.refresh_token = DISCONNECTED, "", ""
        row.access_expires_at = row.refresh_expires_at = None
        row.refresh_lease_until, row.refresh_holder = None, ""
        row.version += 1
        row.last_error, row.last_error_at = "", None
        audit.record(session=session, entity="zalo_connection", entity_id=ROW_ID, action="disconnected",
                     user_id=admin.id)


def status(session: Session, actor: Actor | None) -> ConnectionStatus:
    """Admin only: what the settings screen shows (never a token)."""
    require_admin(actor)
    row = session.get(ZaloConnection, ROW_ID) or ZaloConnection(id=ROW_ID)
    return ConnectionStatus(
        status=row.status, configured=configured(), env_token=bool(get_settings().zalo_oa_access_token),
        oa_id=row.oa_id, oa_name=row.oa_name, connected_at=_aware(row.connected_at),
        access_expires_at=_aware(row.access_expires_at), refresh_expires_at=_aware(row.refresh_expires_at),
        last_refresh_at=_aware(row.last_refresh_at), last_error=row.last_error,
        last_error_at=_aware(row.last_error_at), version=row.version)


def refresh_now(engine: Engine, actor: Actor | None) -> Token:
    """Admin only ("Làm mới token"): spend the refresh token now, whatever the expiry."""
    require_admin(actor)
    found = _read_row(engine)
    if found is None or found.status == DISCONNECTED:
        raise NotConnected("Zalo OA is not connected")
    return refresh(engine, seen_version=found.version)


def _note_error(engine: Engine, error: str, *, broken_since: int | None = None) -> None:
    """Record a failure on the row; with `broken_since`, also mark the connection broken unless a
    newer pair was saved after that version (another worker got through meanwhile)."""
    with write_session(engine) as session:
        row = _locked_row(session)
        row.last_error, row.last_error_at = error[:500], utcnow()
        if broken_since is not None and row.version == broken_since and row.status == CONNECTED:
            row.status = BROKEN


# --- using and refreshing the token ------------------------------------------------------------

def access_token(engine: Engine | None = None) -> Token:
    """A token for an OA API call: the stored one (refreshed first if about to expire), else the
    environment's bootstrap token."""
    engine = engine or get_engine(get_settings().database_url)
    row = _read_row(engine)
    if row is not None and row.status == CONNECTED:
        expires = _aware(row.access_expires_at)
        if expires is not None and expires - utcnow() > USE_MARGIN:
            try:
                return Token(unseal(row.access_token), row.version)
            except SecretUnreadable:
                _note_error(engine, "Không giải mã được token đã lưu (CRM_SECRET_KEY đã đổi?)",
                            broken_since=row.version)
                raise ReauthorizationNeeded("stored token unreadable") from None
        return refresh(engine, seen_version=row.version)
    bootstrap = get_settings().zalo_oa_access_token
    if bootstrap:
        return Token(bootstrap, None)
    if row is not None and row.status == BROKEN:
        raise ReauthorizationNeeded("Zalo OA connection needs re-authorisation")
    raise NotConnected("Zalo OA is not connected")


def refresh(engine: Engine, *, seen_version: int) -> Token:
    """Spend the refresh token, at most one worker at a time. `seen_version` is the version of the
    token the caller found expired: if another worker saved a newer pair meanwhile, that pair is
    returned and Zalo is not called."""
    holder = secrets.token_hex(8)
    deadline = time.monotonic() + LEASE.total_seconds() + 5
    while True:
        with write_session(engine) as session:
            row = _locked_row(session)
            if row.status != CONNECTED:
                raise (ReauthorizationNeeded if row.status == BROKEN else NotConnected)("no usable connection")
            now = utcnow()
            expires = _aware(row.access_expires_at)
            if row.version != seen_version and expires is not None and expires - now > USE_MARGIN:
                return Token(unseal(row.access_token), row.version)
            lease = _aware(row.refresh_lease_until)
            taken = lease is None or lease <= now
            if taken:
                row.refresh_lease_until, row.refresh_holder = now + LEASE, holder
                leased_version = row.version
                try:
                    refresh_token = unseal(row.refresh_token)
                except SecretUnreadable:
                    refresh_token = ""
        if taken:
            break
        if time.monotonic() > deadline:
            raise ZaloOAError("another worker's token refresh did not finish")
        time.sleep(LEASE_POLL_SECONDS)
    try:
        if not refresh_token:
            raise ReauthorizationNeeded("Không có refresh token dùng được")
        s = get_settings()
        answer = _token_call({"refresh_token": refresh_token, "app_id": s.zalo_app_id,
                              "grant_type": "refresh_token"})
    except ReauthorizationNeeded as exc:
        _finish(engine, holder, error=str(exc), broken_since=leased_version)
        log.warning("Zalo OA refresh refused, re-authorisation needed: %s", exc)
        raise
    except BaseException as exc:
        _finish(engine, holder, error=str(exc) if isinstance(exc, ZaloOAError) else "refresh interrupted")
        raise
    token = _finish(engine, holder, answer=answer)
    if token is None:
        raise NotConnected("Zalo OA was disconnected during the refresh")
    log.info("Zalo OA access token refreshed (version %s)", token.version)
    return token


def _finish(engine: Engine, holder: str, *, answer: dict[str, Any] | None = None, error: str = "",
            broken_since: int | None = None) -> Token | None:
    with write_session(engine) as session:
        row = _locked_row(session)
        token = None
        now = utcnow()
        if answer is not None and row.status == DISCONNECTED:
            token = None  # an admin disconnected while the call was under way: the pair is dropped
        elif answer is not None:
            token = _store_pair(row, answer, now)  # the newest valid pair, even if our lease ran out
        else:
            row.last_error, row.last_error_at = error[:500], now
            if broken_since is not None and row.version == broken_since and row.status == CONNECTED:
                row.status = BROKEN
        if row.refresh_holder == holder:
            row.refresh_lease_until, row.refresh_holder = None, ""
    return token


def expired_answer(data: Any) -> bool:
    return _error_code(data) == EXPIRED_TOKEN


def call_oa(call: Callable[[str], T], engine: Engine | None = None) -> T:
    """Run an OA API call with the current token. On an expired token (HTTP 401, or `error` -216
    in a 200 answer) refresh once and retry once; the second answer is the caller's, whatever it is."""
    engine = engine or get_engine(get_settings().database_url)
    token = access_token(engine)
    try:
        answer = call(token.value)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 401:
            raise
    else:
        if not expired_answer(answer):
            return answer
    if token.version is None:
        raise NotConnected("the bootstrap access token is expired and cannot be refreshed")
    token = refresh(engine, seen_version=token.version)
    return call(token.value)


def refresh_if_due(engine: Engine | None = None, *, ahead: timedelta = REFRESH_AHEAD) -> bool:
    """The periodic task: renew a token expiring within `ahead`. Safe on every consumer at once."""
    engine = engine or get_engine(get_settings().database_url)
    row = _read_row(engine)
    expires = _aware(row.access_expires_at) if row is not None else None
    if row is None or row.status != CONNECTED or expires is None or expires - utcnow() > ahead:
        return False
    try:
        refresh(engine, seen_version=row.version)
    except ZaloOAError as exc:
        log.warning("scheduled Zalo OA token refresh failed: %s", exc)
        return False
    return True
