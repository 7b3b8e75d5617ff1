"""State of the create/edit form ("Thêm KH thô" / "Sửa"): field definitions, values, errors."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.fields import (
    SECTION_ADDRESS,
    SECTION_CONTACT,
    SECTION_CUSTOM,
    SECTION_DESCRIPTION,
    SECTION_MANAGEMENT,
    picklist_values,
    raw_lead_fields,
)
from crm_app.i18n import UserError
from crm_app.services import auth, leads, raw_leads
from crm_app.services.raw_leads import ValidationFailed
from crm_app.state.address import AddressMixin
from crm_app.state.auth import AuthState

FORM_KEYS = (*raw_leads.EDITABLE_KEYS, "assigned_to")


class RawLeadFormState(AddressMixin, AuthState):
    """Edits a raw lead, or — on /leads/<id>/edit — a Lead: one field registry, one validation."""

    record_id: int = 0
    module: str = "raw_leads"
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_error: str = ""
    form_key: int = 0
    contact_fields: list[dict[str, str]] = []
    address_fields: list[dict[str, str]] = []
    description_fields: list[dict[str, str]] = []
    management_fields: list[dict[str, str]] = []
    custom_fields: list[dict[str, str]] = []
    picklists: dict[str, list[str]] = {}
    users: list[dict[str, str]] = []
    duplicates: list[dict[str, str]] = []

    @rx.var
    def is_edit(self) -> bool:
        return self.record_id > 0

    @rx.var
    def cancel_href(self) -> str:
        return routes.record(self.module, self.record_id) if self.record_id else routes.RAW_LEADS

    def _record_id_from_path(self) -> int:
        path = self.router.url.path
        self.module = "leads" if routes.section_of(path) == "leads" else "raw_leads"
        return routes.record_id_from_path(path, routes.LEADS if self.module == "leads" else routes.RAW_LEADS,
                                          edit=True)

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        self.record_id = self._record_id_from_path()
        self.errors, self.form_error, self.duplicates = {}, "", []
        with read_session() as session:
            by_section: dict[str, list[dict[str, str]]] = {}
            for fd in raw_lead_fields(session):
                if fd.key not in FORM_KEYS and not fd.custom:
                    continue
                by_section.setdefault(fd.section, []).append(
                    {"key": fd.key, "label": fd.label(self.locale), "type": fd.type,
                     "required": "1" if fd.required else ""})
                if fd.type == "picklist":
                    self.picklists[fd.key] = picklist_values(session, fd.key)
            users = auth.list_users(session=session, active_only=True)
            self.users = [{"username": u.username, "full_name": u.full_name} for u in users]
            if self.record_id:
                try:
                    record = (leads.get_visible if self.module == "leads" else raw_leads.get_visible)(
                        session, actor, self.record_id)
                except UserError as exc:
                    return [rx.redirect(routes.RAW_LEADS), rx.toast.error(exc.message(self.locale))]
                values = raw_leads.form_values(record, session)
                owner = next((u.username for u in users if str(u.id) == values["assigned_to"]), "")
                values["assigned_to"] = owner
            else:
                values = {"assigned_to": actor.username, "status": "Mới"}
        self.contact_fields = by_section.get(SECTION_CONTACT, [])
        self.address_fields = by_section.get(SECTION_ADDRESS, [])
        self.description_fields = by_section.get(SECTION_DESCRIPTION, [])
        self.management_fields = by_section.get(SECTION_MANAGEMENT, [])
        self.custom_fields = by_section.get(SECTION_CUSTOM, [])
        self.values = values
        self._reset_address(values)
        self.form_key += 1
        return None

    @rx.event
    def check_duplicates(self, key: str, value: str) -> None:
        actor = self._actor()
        if actor is None or key not in ("mobile", "email"):
            return
        self.values = {**self.values, key: value}
        with read_session() as session:
            self.duplicates = raw_leads.find_duplicates(
                session, actor, mobile=self.values.get("mobile", ""), email=self.values.get("email", ""),
                exclude_id=self.record_id or None)

    @rx.event
    def save(self, form: dict[str, Any]) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None:
            return self._to_login()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str | int | float)}
        self.values = {**self.values, **values}
        try:
            with write_session() as session:
                if self.module == "leads" and self.record_id:
                    record = leads.update_lead(session, actor, self.record_id, values, locale=self.locale)
                elif self.record_id:
                    record = raw_leads.update_record(session, actor, self.record_id, values, locale=self.locale)
                else:
                    record = raw_leads.create(session, actor, values, locale=self.locale)
                record_id = record.id
        except ValidationFailed as exc:
            self.errors = exc.errors
            self.form_error = exc.message(self.locale)
            return None
        except UserError as exc:
            self.form_error = exc.message(self.locale)
            return None
        self.errors, self.form_error = {}, ""
        target = routes.record(self.module, record_id or 0)
        return [rx.redirect(target), rx.toast.success(self._t("raw_lead.saved"))]
