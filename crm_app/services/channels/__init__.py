"""Channels: the webhook senders (Zalo OA, Facebook, chatbots, web forms) behind one interface.

Every channel module implements `Channel` with module-level names and is listed once in
`registry.py`; the webhook routes, `intake`, the ticket rules, the dashboard and the admin's event
screen take their channel lists from there. A delivery goes through `authenticate` and `split`
on the route (before the provider gets its 200), then each stored `Unit` through `parse` when it is
processed. Parsers are pure: network look-ups go through `lookups.Lookups`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from crm_app.services.text import fold

if TYPE_CHECKING:
    from crm_app.models import FormConfig
    from crm_app.services.incoming import IncomingPerson


class BadPayload(ValueError):
    """The body cannot be understood; retrying will not help."""


class Gone(LookupError):
    """A provider's API says the object does not exist (or never will be readable): a sample
    notification, a deleted lead. Retrying will not help and there is nothing to store."""


class Refused(Exception):
    """The delivery does not prove it comes from the sender, or the channel is not configured.
    `missing`: no credentials at all (HTTP 401) rather than wrong ones (403)."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True)
class Unit:
    """One provider event inside a delivery: its dedup key and the bytes stored for it."""

    key: str
    body: bytes


@dataclass
class Delivery:
    """One HTTP delivery as the route received it, before anything is stored."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # case-insensitive, or lower-case names
    token: str | None = None  # ?token=, for senders that cannot set headers
    form: FormConfig | None = None  # the form addressed (forms route only)

    @cached_property
    def payload(self) -> dict[str, Any]:
        """The body as a JSON object (BadPayload otherwise), read once."""
        return load_json(self.body)


@dataclass(frozen=True)
class StoredEvent:
    """What `parse` reads: a stored unit's bytes, its kept headers and, for a form, the form."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # intake.KEPT_HEADERS, lower-case
    form: FormConfig | None = None


class Lookups(Protocol):
    """The providers' APIs a parser may consult (lookups.HttpLookups; a fake in tests)."""

    def zalo_user(self, user_id: str) -> dict[str, Any]: ...

    def fb_profile(self, psid: str) -> dict[str, Any]: ...

    def fb_leadgen(self, leadgen_id: str) -> dict[str, Any]: ...


class Channel(Protocol):
    """A webhook sender. Implemented by a module (see zalo.py) and listed in registry.py."""

    # Read-only, so that a module's `ticket_keys = ("zalo_oa",)` satisfies tuple[str, ...].
    @property
    def name(self) -> str:
        """ChannelEvent.channel; the route segment of a chatbot provider."""
        ...

    @property
    def label(self) -> str:
        """Shown to admins: a product name, the same in every language."""
        ...

    @property
    def input_sources(self) -> tuple[str, ...]:
        """The Nguồn input values the channel's records get."""
        ...

    @property
    def ticket_keys(self) -> tuple[str, ...]:
        """The automatic-ticket switches of the sync settings it can trigger."""
        ...

    def authenticate(self, delivery: Delivery) -> None:
        """Raise `Refused` unless the delivery is signed / carries the secret; `BadPayload` when
        the body needed for the check is unreadable."""
        ...

    def split(self, delivery: Delivery) -> list[Unit]:
        """One unit per provider event, keyed for deduplication; `BadPayload` for a body that
        is not the provider's format."""
        ...

    def parse(self, event: StoredEvent, lookups: Lookups) -> list[IncomingPerson]:
        """The people in a stored unit; [] when it holds nothing for the CRM (echo, unfollow)."""
        ...

    def message_text(self, body: bytes) -> str | None:
        """What the person wrote, for the record's timeline (chat channels)."""
        ...


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


MAX_JSON_DEPTH = 32  # no provider nests deeper; hundreds of levels is an attack on the parser


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def raw_depth(body: bytes) -> int:
    """The bracket depth of a JSON text, counted before parsing it (strings skipped), so that a
    body nested thousands deep never reaches a recursive parser or walker."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot nest deeper than the limit: the common case costs two counts
    level = deepest = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in (0x5B, 0x7B):
            level += 1
            if level > deepest:
                deepest = level
                if deepest > MAX_JSON_DEPTH:
                    break  # deep enough to refuse: the rest need not be counted
        else:
            level -= 1
    return deepest


def load_json(body: bytes) -> dict[str, Any]:
    if raw_depth(body) > MAX_JSON_DEPTH:
        raise BadPayload("JSON nested too deeply")
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


def digest(body: bytes) -> str:
    """A dedup key for senders that give none: an identical body again is a redelivery."""
    return hashlib.sha256(body).hexdigest()


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


def obj(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: senders omit or mistype any part of a body."""
    return value if isinstance(value, dict) else {}


def seq(value: object) -> list[Any]:
    """`value` if it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def text_of(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


@lru_cache(maxsize=8192)
def squash(name: str) -> str:
    """A field name folded and without separators: "Số điện thoại", "so_dien_thoai" and
    "SoDienThoai" are one name."""
    return "".join(c for c in fold(name) if c.isalnum())


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest refuses non-ASCII str (DESIGN §6)."""
    return given is not None and hmac.compare_digest(given.strip().encode(), expected.encode())


def hmac_sha256(secret: str, body: bytes) -> str:
    """The "sha256=<hex>" signature Meta and our form senders put on the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_token(given: str | None, secret: str) -> None:
    """A shared secret sent as is (header or ?token=): Refused unless it matches."""
    if not secret:
        raise Refused("channel not configured")
    if not given:
        raise Refused("token missing", missing=True)
    if not same_secret(given, secret):
        raise Refused("bad token")
