"""State of the web-forms admin screen."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.services import forms
from crm_app.state.auth import AuthState


class FormsState(AuthState):
    rows: list[dict[str, str]] = []

    @rx.event
    def load(self) -> None:
        actor = self._admin()
        if actor is None:
            return
        with read_session() as session:
            found = forms.list_forms(session, actor)
        self.rows = [{"id": str(f.id), "key": f.key, "channel": f.channel, "secret": f.secret,
                      "active": "1" if f.is_active else "",
                      "mapping": "\n".join(f"{k} = {v}" for k, v in (f.mapping or {}).items()),
                      "url": routes.form_webhook(f.key)} for f in found]

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with write_session() as session:
                fn(session, *args, actor=actor, **kwargs)
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def add(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        return self._run(forms.add_form, key=str(form.get("key", "")), channel=str(form.get("channel", "Webform")))

    @rx.event
    def save(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        form_id = str(form.get("id", ""))
        if not form_id.isdigit():
            return None
        return self._run(lambda session, actor: forms.update_form(
            session, actor, int(form_id), channel=str(form.get("channel", "")),
            mapping_text=str(form.get("mapping", "")), active=bool(form.get("active"))))

    @rx.event
    def rotate(self, form_id: str) -> rx.event.EventSpec | None:
        if not form_id.isdigit():
            return None
        return self._run(lambda session, actor: forms.rotate_secret(session, actor, int(form_id)))
