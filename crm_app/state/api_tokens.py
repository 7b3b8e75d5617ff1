"""State of the API tokens screen (admins): issue a token (shown once), see use, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.models import User
from crm_app.services import api_tokens, auth
from crm_app.services.auth import Actor
from crm_app.services.dashboard import VN_TZ as ORG_TZ
from crm_app.state.auth import AuthState, admin_only, logged_in, read, write


def _when(value: datetime | None) -> str:
    return value.astimezone(ORG_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


def _screen(session: Session, actor: Actor) -> tuple[list[api_tokens.TokenRow], list[User]]:
    return api_tokens.list_tokens(session, actor), auth.list_users(session=session, active_only=True)


class ApiTokensState(AuthState):
    rows: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    owner: str = ""
    # The full token right after it was issued; cleared when dismissed or the page is left.
    new_token: str = ""
    new_token_name: str = ""

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        self.new_token = self.new_token_name = ""
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        tokens, users = await read(_screen, actor)
        self.rows = [{"id": str(r.id), "name": r.name, "prefix": f"{api_tokens.TOKEN_START}{r.prefix}…",
                      "owner": r.owner, "write": "1" if r.can_write else "", "created": _when(r.created_at),
                      "last_used": _when(r.last_used_at), "revoked": _when(r.revoked_at)} for r in tokens]
        self.owners = [{"id": str(u.id), "label": f"{u.full_name} ({u.username})"} for u in users]
        self.owner = str(actor.id)

    @rx.event
    @logged_in
    async def create(self, actor: Actor, form: dict[str, Any]) -> None:
        owner = str(form.get("owner", ""))
        if not owner.isdigit():
            return
        name = str(form.get("name", ""))
        _, token = await write(api_tokens.create_token, actor, name=name, owner_id=int(owner),
                               can_write=form.get("access") == "write")
        await self._load(actor)
        self.new_token, self.new_token_name = token, name.strip()

    @rx.event
    def choose_owner(self, value: str) -> None:
        if value.isdigit():
            self.owner = value

    @rx.event
    def copy_token(self) -> list[EventSpec]:
        return [rx.set_clipboard(self.new_token), rx.toast.success(self._t("api_tokens.copied"))]

    @rx.event
    def dismiss(self) -> None:
        self.new_token = self.new_token_name = ""

    @rx.event
    @logged_in
    async def revoke(self, actor: Actor, token_id: str) -> EventSpec | None:
        if not token_id.isdigit():
            return None
        await write(api_tokens.revoke_token, actor, int(token_id))
        await self._load(actor)
        return rx.toast.success(self._t("api_tokens.revoked_toast"))
