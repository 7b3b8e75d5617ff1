"""State of the admin field-settings page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.db import read_session, write_session
from crm_app.fields import BUILTIN_BY_KEY
from crm_app.i18n import UserError
from crm_app.services import field_settings
from crm_app.state.auth import AuthState


class FieldSettingsState(AuthState):
    picklist_field: str = "lead_source"
    picklist_fields: list[dict[str, str]] = []
    values: list[dict[str, str]] = []
    custom: list[dict[str, str]] = []

    @rx.event
    def load(self) -> None:
        actor = self._admin()
        if actor is None:
            return
        with read_session() as session:
            customs = field_settings.custom_fields(session)
            self.picklist_fields = [
                {"key": k, "label": BUILTIN_BY_KEY[k].label(self.locale)} for k in field_settings.PICKLIST_FIELDS
            ] + [{"key": f"cf_{c.key}", "label": c.label_vi} for c in customs if c.field_type == "picklist"]
            self.values = [{"id": str(v.id), "value": v.value, "active": "1" if v.is_active else "",
                            "meaning": v.meaning or ""}
                           for v in field_settings.values(session, self.picklist_field)]
            self.custom = [{"id": str(c.id), "key": c.key, "label_vi": c.label_vi, "label_en": c.label_en,
                            "type": c.field_type, "active": "1" if c.is_active else ""} for c in customs]

    def _run(self, action: str, *args: Any) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with write_session() as session:
                getattr(field_settings, action)(session, actor, *args)
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return None

    @rx.event
    def choose_field(self, key: str) -> None:
        self.picklist_field = key
        self.load()

    @rx.event
    def add_value(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        return self._run("add_value", self.picklist_field, str(form.get("value", "")), str(form.get("meaning", "")))

    @rx.event
    def set_meaning(self, value_id: str, meaning: str) -> rx.event.EventSpec | None:
        return self._run("set_meaning", int(value_id), meaning)

    @rx.event
    def rename_value(self, value_id: str, new_value: str) -> rx.event.EventSpec | None:
        return self._run("rename_value", int(value_id), new_value)

    @rx.event
    def move_value(self, value_id: str, step: int) -> rx.event.EventSpec | None:
        return self._run("move_value", int(value_id), int(step))

    @rx.event
    def set_value_active(self, value_id: str, active: bool) -> rx.event.EventSpec | None:
        return self._run("set_value_active", int(value_id), bool(active))

    @rx.event
    def add_custom_field(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with write_session() as session:
                field_settings.add_custom_field(
                    session, actor, key=str(form.get("key", "")), label_vi=str(form.get("label_vi", "")),
                    label_en=str(form.get("label_en", "")), field_type=str(form.get("type", "text")),
                    options=str(form.get("options", "")))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def set_custom_active(self, field_id: str, active: bool) -> rx.event.EventSpec | None:
        return self._run("set_custom_field_active", int(field_id), bool(active))
