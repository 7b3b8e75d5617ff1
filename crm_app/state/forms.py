"""State of the web-forms admin screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.services import forms
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, admin_only, logged_in, read, write


class FormsState(AuthState):
    rows: list[dict[str, str]] = []

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        found = await read(forms.list_forms, actor)
        self.rows = [{"id": str(f.id), "key": f.key, "channel": f.channel, "secret": f.secret,
                      "active": "1" if f.is_active else "",
                      "mapping": "\n".join(f"{k} = {v}" for k, v in (f.mapping or {}).items()),
                      "url": routes.form_webhook(f.key)} for f in found]

    async def _change(self, actor: Actor, change: Callable[[Session], object]) -> EventSpec:
        await write(change)
        await self._load(actor)
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def add(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        return await self._change(actor, lambda s: forms.add_form(
            s, key=str(form.get("key", "")), channel=str(form.get("channel", "Webform")), actor=actor))

    @rx.event
    @logged_in
    async def save(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        form_id = str(form.get("id", ""))
        if not form_id.isdigit():
            return None
        return await self._change(actor, lambda s: forms.update_form(
            s, actor, int(form_id), channel=str(form.get("channel", "")),
            mapping_text=str(form.get("mapping", "")), active=bool(form.get("active"))))

    @rx.event
    @logged_in
    async def rotate(self, actor: Actor, form_id: str) -> EventSpec | None:
        if not form_id.isdigit():
            return None
        return await self._change(actor, lambda s: forms.rotate_secret(s, actor, int(form_id)))
