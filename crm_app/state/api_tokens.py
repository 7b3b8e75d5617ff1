"""State of the API tokens screen (admins): issue a token (shown once), see use, revoke."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import reflex as rx

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.services import api_tokens, auth, clock
from crm_app.state.auth import AuthState


def _when(value: datetime | None, tz: tzinfo) -> str:
    return clock.fmt_datetime(value, tz)


class ApiTokensState(AuthState):
    rows: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    owner: str = ""
    # The full token right after it was issued; cleared when dismissed or the page is left.
    new_token: str = ""
    new_token_name: str = ""

    @rx.event
    def load(self) -> None:
        self.new_token = self.new_token_name = ""
        actor = self._admin()
        if actor is None:
            return
        with read_session() as session:
            tokens = api_tokens.list_tokens(session, actor)
            users = auth.list_users(session=session, active_only=True)
            tz = clock.zone(session)
        self.rows = [{"id": str(r.id), "name": r.name, "prefix": f"{api_tokens.TOKEN_START}{r.prefix}…",
                      "owner": r.owner, "write": "1" if r.can_write else "", "created": _when(r.created_at, tz),
                      "last_used": _when(r.last_used_at, tz), "revoked": _when(r.revoked_at, tz)} for r in tokens]
        self.owners = [{"id": str(u.id), "label": f"{u.full_name} ({u.username})"} for u in users]
        self.owner = str(actor.id)

    @rx.event
    def create(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        actor = self._actor()
        owner = str(form.get("owner", ""))
        if actor is None or not owner.isdigit():
            return None
        name = str(form.get("name", ""))
        try:
            with write_session() as session:
                _, token = api_tokens.create_token(session, actor, name=name, owner_id=int(owner),
                                                   can_write=form.get("access") == "write")
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        self.new_token, self.new_token_name = token, name.strip()
        return None

    @rx.event
    def choose_owner(self, value: str) -> None:
        if value.isdigit():
            self.owner = value

    @rx.event
    def copy_token(self) -> list[rx.event.EventSpec]:
        return [rx.set_clipboard(self.new_token), rx.toast.success(self._t("api_tokens.copied"))]

    @rx.event
    def dismiss(self) -> None:
        self.new_token = self.new_token_name = ""

    @rx.event
    def revoke(self, token_id: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None or not token_id.isdigit():
            return None
        try:
            with write_session() as session:
                api_tokens.revoke_token(session, actor, int(token_id))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return rx.toast.success(self._t("api_tokens.revoked_toast"))
