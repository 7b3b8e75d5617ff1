"""Users, passwords (argon2) and login sessions; the permission checks every caller uses."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from crm_app.i18n import UserError
from crm_app.models import AuthSession, User, utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-real-password")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class PermissionDenied(UserError):
    def __init__(self, key: str = "auth.denied") -> None:
        super().__init__(key)


@dataclass(frozen=True)
class Actor:
    """Who is acting: what services need to authorise, without the password hash."""

    id: int
    username: str
    full_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> Actor:
        assert user.id is not None
        return cls(id=user.id, username=user.username, full_name=user.full_name, role=user.role)


def require_admin(actor: Actor | None) -> Actor:
    if actor is None or not actor.is_admin:
        raise PermissionDenied()
    return actor


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    *, session: Session, username: str, full_name: str, password: str, role: str = "user",
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError("user.invalid_username")
    if not full_name.strip():
        raise UserError("user.full_name_required")
    if len(password) < 8:
        raise UserError("user.password_short")
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise UserError("user.exists", username=username)
    user = User(
        username=username,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role="admin" if role == "admin" else "user",
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The user if the password is right and the account active, else None."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(*, session: Session, user: User, days: int) -> str:
    """Create a login session and return its token (only its hash is stored)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=_token_hash(token), user_id=user.id,
                            expires_at=utcnow() + timedelta(days=days)))
    return token


def actor_for_token(*, session: Session, token: str) -> Actor | None:
    if not token:
        return None
    row = session.exec(
        select(User, AuthSession.expires_at)
        .join(AuthSession, col(AuthSession.user_id) == User.id)
        .where(AuthSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at < utcnow() or not user.is_active:
        return None
    return Actor.of(user)


def close_session(*, session: Session, token: str) -> None:
    if token:
        session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == _token_hash(token)))


def list_users(*, session: Session, active_only: bool = False) -> list[User]:
    query = select(User).order_by(User.username)
    if active_only:
        query = query.where(User.is_active == True)  # noqa: E712
    return list(session.exec(query))
