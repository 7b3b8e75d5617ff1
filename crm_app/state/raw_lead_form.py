"""State of the create/edit form ("Thêm KH thô" / "Sửa"): field definitions, values, errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
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
from crm_app.models import Lead, RawLead
from crm_app.services import auth, leads
from crm_app.services.auth import Actor
from crm_app.services.raw_leads import access, display, records
from crm_app.services.raw_leads.validation import EDITABLE_KEYS, ValidationFailed
from crm_app.state.address import AddressMixin
from crm_app.state.auth import AuthState, logged_in, read, write

FORM_KEYS = (*EDITABLE_KEYS, "assigned_to")


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
    def cancel_href(self) -> str:
        return routes.record(self.module, self.record_id) if self.record_id else routes.RAW_LEADS

    def _record_id_from_path(self) -> int:
        path = self.router.url.path
        self.module = "leads" if routes.section_of(path) == "leads" else "raw_leads"
        return routes.record_id_from_path(path, routes.LEADS if self.module == "leads" else routes.RAW_LEADS,
                                          edit=True)

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        self.record_id = self._record_id_from_path()
        self.errors, self.form_error, self.duplicates = {}, "", []
        try:
            form = await read(_form, actor, self.module, self.record_id, self.locale)
        except UserError as exc:
            return [rx.redirect(routes.RAW_LEADS), rx.toast.error(exc.message(self.locale))]
        self.picklists, self.users = form.picklists, form.users
        self.contact_fields = form.sections.get(SECTION_CONTACT, [])
        self.address_fields = form.sections.get(SECTION_ADDRESS, [])
        self.description_fields = form.sections.get(SECTION_DESCRIPTION, [])
        self.management_fields = form.sections.get(SECTION_MANAGEMENT, [])
        self.custom_fields = form.sections.get(SECTION_CUSTOM, [])
        self.values = form.values
        self._reset_address(form.values)
        self.form_key += 1
        return None

    @rx.event
    @logged_in
    async def check_duplicates(self, actor: Actor, key: str, value: str) -> None:
        if key not in ("mobile", "email"):
            return
        self.values = {**self.values, key: value}
        self.duplicates = await read(records.find_duplicates, actor, mobile=self.values.get("mobile", ""),
                                     email=self.values.get("email", ""), exclude_id=self.record_id or None)

    @rx.event
    @logged_in
    async def save(self, actor: Actor, form: dict[str, Any]) -> EventSpec | list[EventSpec] | None:
        values = {k: str(v) for k, v in form.items() if isinstance(v, str | int | float)}
        self.values = {**self.values, **values}
        try:
            record_id = await write(_save, actor, self.module, self.record_id, values, self.locale)
        except ValidationFailed as exc:
            self.errors = exc.errors
            self.form_error = exc.message(self.locale)
            return None
        except UserError as exc:
            self.form_error = exc.message(self.locale)
            return None
        self.errors, self.form_error = {}, ""
        target = routes.record(self.module, record_id)
        return [rx.redirect(target), rx.toast.success(self._t("raw_lead.saved"))]


@dataclass
class _Form:
    sections: dict[str, list[dict[str, str]]]
    picklists: dict[str, list[str]]
    users: list[dict[str, str]]
    values: dict[str, str]


def _form(session: Session, actor: Actor, module: str, record_id: int, locale: str) -> _Form:
    """The form's fields by section, its picklists and users, and the record's values (or a new one's)."""
    form = _Form({}, {}, [], {})
    for fd in raw_lead_fields(session):
        if fd.key not in FORM_KEYS and not fd.custom:
            continue
        form.sections.setdefault(fd.section, []).append(
            {"key": fd.key, "label": fd.label(locale), "type": fd.type, "required": "1" if fd.required else ""})
        if fd.type == "picklist":
            form.picklists[fd.key] = picklist_values(session, fd.key)
    if module == "leads":  # a Lead's status is its pipeline stage
        form.picklists["status"] = picklist_values(session, leads.STAGE_FIELD)
    users = auth.list_users(session=session, active_only=True)
    form.users = [{"username": u.username, "full_name": u.full_name} for u in users]
    if record_id:
        record = (leads.get_visible if module == "leads" else access.get_visible)(session, actor, record_id)
        form.values = display.form_values(record, session)
        form.values["assigned_to"] = next(
            (u.username for u in users if str(u.id) == form.values["assigned_to"]), "")
    else:
        form.values = {"assigned_to": actor.username, "status": "Mới"}
    return form


def _save(session: Session, actor: Actor, module: str, record_id: int, values: dict[str, str], locale: str) -> int:
    record: Lead | RawLead
    if module == "leads" and record_id:
        record = leads.update_lead(session, actor, record_id, values, locale=locale)
    elif record_id:
        record = records.update_record(session, actor, record_id, values, locale=locale)
    else:
        record = records.create(session, actor, values, locale=locale)
    return record.id or 0
