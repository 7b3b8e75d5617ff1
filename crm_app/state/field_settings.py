"""State of the admin field-settings page."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.fields import PICKLIST_FIELD_BY_KEY
from crm_app.models import CustomField, PicklistValue
from crm_app.services import field_settings
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, admin_only, logged_in, read, write


def _page(session: Session, picklist_field: str) -> tuple[list[CustomField], list[PicklistValue]]:
    return field_settings.custom_fields(session), field_settings.values(session, picklist_field)


class FieldSettingsState(AuthState):
    picklist_field: str = "lead_source"
    picklist_fields: list[dict[str, str]] = []
    values: list[dict[str, str]] = []
    custom: list[dict[str, str]] = []

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        await self._load()

    async def _load(self) -> None:
        customs, values = await read(_page, self.picklist_field)
        self.picklist_fields = [
            {"key": k, "label": PICKLIST_FIELD_BY_KEY[k].label(self.locale)} for k in field_settings.PICKLIST_FIELDS
        ] + [{"key": f"cf_{c.key}", "label": c.label_vi} for c in customs if c.field_type == "picklist"]
        self.values = [{"id": str(v.id), "value": v.value, "active": "1" if v.is_active else ""} for v in values]
        self.custom = [{"id": str(c.id), "key": c.key, "label_vi": c.label_vi, "label_en": c.label_en,
                        "type": c.field_type, "active": "1" if c.is_active else ""} for c in customs]

    async def _change(self, actor: Actor, action: str, *args: Any) -> None:
        await write(getattr(field_settings, action), actor, *args)
        await self._load()

    @rx.event
    @admin_only
    async def choose_field(self, actor: Actor, key: str) -> None:
        self.picklist_field = key
        await self._load()

    @rx.event
    @logged_in
    async def add_value(self, actor: Actor, form: dict[str, Any]) -> None:
        await self._change(actor, "add_value", self.picklist_field, str(form.get("value", "")))

    @rx.event
    @logged_in
    async def rename_value(self, actor: Actor, value_id: str, new_value: str) -> None:
        await self._change(actor, "rename_value", int(value_id), new_value)

    @rx.event
    @logged_in
    async def move_value(self, actor: Actor, value_id: str, step: int) -> None:
        await self._change(actor, "move_value", int(value_id), int(step))

    @rx.event
    @logged_in
    async def set_value_active(self, actor: Actor, value_id: str, active: bool) -> None:
        await self._change(actor, "set_value_active", int(value_id), bool(active))

    @rx.event
    @logged_in
    async def add_custom_field(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        await write(lambda s: field_settings.add_custom_field(
            s, actor, key=str(form.get("key", "")), label_vi=str(form.get("label_vi", "")),
            label_en=str(form.get("label_en", "")), field_type=str(form.get("type", "text")),
            options=str(form.get("options", ""))))
        await self._load()
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def set_custom_active(self, actor: Actor, field_id: str, active: bool) -> None:
        await self._change(actor, "set_custom_field_active", int(field_id), bool(active))
