"""Channel parsers: pure functions turning a stored webhook event into `IncomingPerson`s.

Each module offers `split(payload) -> list[Unit]` (one unit per provider event, with its
idempotency key) used by the route before storing, and `parse(body, lookups)` used when the
stored event is processed. Network look-ups (names, Lead Ads answers) go through `Lookups` so
the parsers stay testable without a server.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from crm_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

_TIMEOUT = 3.0
_RETRIES = 2


class BadPayload(ValueError):
    """The stored body cannot be understood; retrying will not help."""


@dataclass(frozen=True)
class Unit:
    """One provider event inside a delivery: its dedup key and the bytes stored for it."""

    key: str
    body: bytes


class Lookups(Protocol):
    def zalo_user(self, user_id: str) -> dict[str, Any]: ...

    def fb_profile(self, psid: str) -> dict[str, Any]: ...

    def fb_leadgen(self, leadgen_id: str) -> dict[str, Any]: ...


class HttpLookups:
    """The real providers' APIs (base URLs configurable so tests point them at a fake)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def _get(self, url: str, *, params: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
        last: Exception | None = None
        for _ in range(_RETRIES + 1):
            try:
                response = httpx.get(url, params=params, headers=headers, timeout=_TIMEOUT)
                if response.status_code < 500:
                    response.raise_for_status()
                    data = response.json()
                    if not isinstance(data, dict):
                        raise BadPayload("provider answered a non-object")
                    return data
                last = httpx.HTTPStatusError("server error", request=response.request, response=response)
            except (httpx.TransportError, ValueError) as exc:
                last = exc
                if isinstance(exc, BadPayload):
                    break
        raise RuntimeError(f"lookup failed: {type(last).__name__}: {last}")

    def zalo_user(self, user_id: str) -> dict[str, Any]:
        s = self.settings
        return self._get(f"{s.zalo_api_base.rstrip('/')}/v3.0/oa/user/detail",
                         params={"data": json.dumps({"user_id": user_id})},
                         headers={"access_token": s.zalo_oa_access_token})

    def fb_profile(self, psid: str) -> dict[str, Any]:
        s = self.settings
        return self._get(f"{s.fb_graph_base.rstrip('/')}/{psid}",
                         params={"fields": "first_name,last_name", "access_token": s.fb_page_token})

    def fb_leadgen(self, leadgen_id: str) -> dict[str, Any]:
        s = self.settings
        return self._get(f"{s.fb_graph_base.rstrip('/')}/v21.0/{leadgen_id}",
                         params={"access_token": s.fb_page_token})


def _valid_text(value: Any) -> Any:
    """JSON may escape a lone surrogate ("\\ud800"), which no database or encoder accepts:
    replace it, everywhere in the document, before anything uses the text."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    return value


def load_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadPayload("body is not JSON") from exc
    if not isinstance(data, dict):
        raise BadPayload("body is not a JSON object")
    return _valid_text(data)


def dump(data: object) -> bytes:
    """Bytes stored for one unit split out of a batch (the batch's signature is already checked)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def as_id(value: object) -> str | None:
    """Provider ids exceed 2^53: keep them as strings, also when sent as JSON numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    text = str(value).strip()
    return text or None


def text_of(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def message_text(channel: str, body: bytes) -> str | None:
    """The text a person wrote, for the record's timeline (Zalo and Messenger chat messages)."""
    try:
        payload = load_json(body)
    except BadPayload:
        return None
    if channel == "zalo" and str(payload.get("event_name", "")).startswith("user_send_text"):
        message = payload.get("message")
        return text_of(message.get("text")) if isinstance(message, dict) else None
    if channel == "facebook":
        for entry in payload.get("entry") or []:
            for item in (entry.get("messaging") or []) if isinstance(entry, dict) else []:
                message = item.get("message") if isinstance(item, dict) else None
                if isinstance(message, dict) and not message.get("is_echo"):
                    return text_of(message.get("text"))
    return None
