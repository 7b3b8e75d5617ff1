"""The demo users as the services' callers (tests/conftest.py's `people` fixture uses it too)."""

from __future__ import annotations

from sqlmodel import Session, select

from crm_app.models import User
from crm_app.services.auth import Actor


def actor(session: Session, username: str) -> Actor:
    return Actor.of(session.exec(select(User).where(User.username == username)).one())
