"""Organisation settings and user administration: admin-only, checked here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from crm_app.i18n import UserError
from crm_app.models import OrgSetting, RawLead, User
from crm_app.services import audit, auth
from crm_app.services.auth import Actor, require_admin
from crm_app.services.reference_data import (
    VISIBILITY_ALL,
    VISIBILITY_KEY,
    VISIBILITY_OWN,
    get_org_setting,
)


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    role: str
    is_active: bool
    raw_leads: int


def visibility(*, session: Session) -> str:
    return str(get_org_setting(session=session, key=VISIBILITY_KEY, default=VISIBILITY_ALL))


def set_visibility(*, session: Session, actor: Actor, value: str) -> None:
    require_admin(actor)
    if value not in (VISIBILITY_ALL, VISIBILITY_OWN):
        raise UserError("auth.denied")
    row = session.get(OrgSetting, VISIBILITY_KEY) or OrgSetting(key=VISIBILITY_KEY)
    old = row.value
    row.value = value
    session.add(row)
    audit.record(session=session, entity="org_setting", entity_id=0, action="updated",
                 user_id=actor.id, changes={VISIBILITY_KEY: [old, value]})


def user_rows(*, session: Session, actor: Actor) -> list[UserRow]:
    require_admin(actor)
    counts = dict(session.exec(
        select(col(RawLead.assigned_to_id), func.count()).group_by(col(RawLead.assigned_to_id))).all())
    return [UserRow(id=u.id or 0, username=u.username, full_name=u.full_name, role=u.role,
                    is_active=u.is_active, raw_leads=counts.get(u.id or 0, 0))
            for u in auth.list_users(session=session)]


def add_user(*, session: Session, actor: Actor, username: str, full_name: str, password: str,
             role: str) -> User:
    require_admin(actor)
    user = auth.create_user(session=session, username=username, full_name=full_name,
                            password=password, role=role)
    audit.record(session=session, entity="user", entity_id=user.id or 0, action="created",
                 user_id=actor.id, changes={"username": [None, user.username]})
    return user


def set_user_active(*, session: Session, actor: Actor, user_id: int, active: bool) -> None:
    require_admin(actor)
    if user_id == actor.id and not active:
        raise UserError("auth.denied")
    user = session.get(User, user_id)
    if user is None:
        raise UserError("auth.denied")
    user.is_active = active
    session.add(user)
    audit.record(session=session, entity="user", entity_id=user_id, action="updated",
                 user_id=actor.id, changes={"is_active": [not active, active]})
