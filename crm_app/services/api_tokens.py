"""API tokens for the REST API (DESIGN §5): issued by admins, shown once, stored hashed.

A token reads `crm_<prefix>_<secret>`. The prefix is public and finds the row; only a SHA-256 of
the secret is stored and it is compared in constant time. A token acts with the rights of the
user it belongs to (so the org's visibility setting applies), read-only unless issued read-write.
`CRM_API_TOKEN` from the environment is the bootstrap token: read-write, acting as the first
active admin, for setting up an integration before anyone has issued a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from crm_app.db import write_session
from crm_app.i18n import UserError
from crm_app.models import ApiToken, User, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin

TOKEN_START = "crm_"  # noqa: S105 - the public marker of a token, not a secret
_PREFIX_LEN = 12
# "last used" is shown to the minute: writing it on every request would put a write (SQLite's
# single write lock) in front of every read.
LAST_USED_PRECISION = timedelta(minutes=1)
_DUMMY_HASH = hashlib.sha256(b"no-such-token").hexdigest()
BOOTSTRAP_PRINCIPAL = "env"


@dataclass(frozen=True)
class ApiPrincipal:
    """Who a bearer token speaks for."""

    actor: Actor
    can_write: bool
    key: str  # "token:<id>" or "env": scopes rate limits and idempotency keys
    token_id: int | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    owner: str
    can_write: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(presented: str) -> tuple[str, str] | None:
    if not presented.startswith(TOKEN_START):
        return None
    rest = presented[len(TOKEN_START):]
    prefix, sep, secret = rest[:_PREFIX_LEN], rest[_PREFIX_LEN:_PREFIX_LEN + 1], rest[_PREFIX_LEN + 1:]
    if sep != "_" or len(prefix) != _PREFIX_LEN or not secret:
        return None
    return prefix, secret


def create_token(session: Session, actor: Actor, *, name: str, owner_id: int, can_write: bool
                 ) -> tuple[ApiToken, str]:
    """Admin only. Returns the row and the full token, which is never shown again."""
    require_admin(actor)
    name = name.strip()
    if not name or len(name) > 128:
        raise UserError("api_tokens.name_required")
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise UserError("validation.user", field="Người dùng")
    prefix, secret = secrets.token_hex(_PREFIX_LEN // 2), secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=prefix, secret_hash=_hash(secret), user_id=owner_id,
                     can_write=can_write, created_by_id=actor.id)
    session.add(token)
    session.flush()
    assert token.id is not None
    audit.record(session=session, entity="api_token", entity_id=token.id, action="created", user_id=actor.id,
                 changes={"name": [None, name], "user_id": [None, owner_id], "can_write": [None, can_write]})
    return token, f"{TOKEN_START}{prefix}_{secret}"


def list_tokens(session: Session, actor: Actor) -> list[TokenRow]:
    """Admin only; newest first, revoked ones included (their last use stays useful)."""
    require_admin(actor)
    rows = session.exec(select(ApiToken, User.username).join(User, col(User.id) == ApiToken.user_id)
                        .order_by(col(ApiToken.id).desc())).all()
    return [TokenRow(id=t.id or 0, name=t.name, prefix=t.prefix, owner=username, can_write=t.can_write,
                     created_at=t.created_at, last_used_at=t.last_used_at, revoked_at=t.revoked_at)
            for t, username in rows]


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    """Admin only; takes effect on the next request, in every worker (nothing is cached)."""
    require_admin(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UserError("api_tokens.not_found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(session=session, entity="api_token", entity_id=token_id, action="revoked", user_id=actor.id)


def _bootstrap_actor(session: Session) -> Actor | None:
    admin = session.exec(select(User).where(User.role == "admin", User.is_active == True)  # noqa: E712
                         .order_by(col(User.id))).first()
    return Actor.of(admin) if admin is not None else None


def authenticate(session: Session, presented: str, *, bootstrap: str = "") -> ApiPrincipal | None:
    """The principal of a presented bearer token, or None (unknown, revoked, or its user disabled)."""
    if bootstrap and hmac.compare_digest(presented.encode(), bootstrap.encode()):
        actor = _bootstrap_actor(session)
        return ApiPrincipal(actor, True, BOOTSTRAP_PRINCIPAL, None, None) if actor else None
    parts = _split(presented)
    row = None
    if parts is not None:
        row = session.exec(select(ApiToken, User).join(User, col(User.id) == ApiToken.user_id)
                           .where(ApiToken.prefix == parts[0])).first()
    # Always one comparison, so an unknown prefix takes as long as a wrong secret.
    expected = row[0].secret_hash if row is not None else _DUMMY_HASH
    given = _hash(parts[1]) if parts is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()) or row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    return ApiPrincipal(Actor.of(user), token.can_write, f"token:{token.id}", token.id, token.last_used_at)


def note_use(engine: Engine, principal: ApiPrincipal) -> None:
    """Record when a token was last used, at most once a minute per token."""
    if principal.token_id is None:
        return
    now = utcnow()
    last = principal.last_used_at
    if last is not None and last > now - LAST_USED_PRECISION:
        return
    with write_session(engine) as session:
        session.exec(update(ApiToken).where(col(ApiToken.id) == principal.token_id)
                     .values(last_used_at=now))
