"""State of the raw-lead detail view."""

from __future__ import annotations

import reflex as rx

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.fields import SECTION_ADDRESS, SECTION_CONTACT, SECTION_CUSTOM, SECTION_DESCRIPTION, SECTION_MANAGEMENT
from crm_app.i18n import UserError
from crm_app.services import conversion, raw_leads, timeline
from crm_app.state.auth import AuthState


class RawLeadDetailState(AuthState):
    record_id: int = 0
    title: str = ""
    status: str = ""
    converted_lead_id: int = 0
    contact: list[dict[str, str]] = []
    address: list[dict[str, str]] = []
    description: list[dict[str, str]] = []
    management: list[dict[str, str]] = []
    custom: list[dict[str, str]] = []
    events: list[dict[str, str]] = []

    @rx.var
    def converted_label(self) -> str:
        return self._t("detail.converted_to", id=self.converted_lead_id)

    def _record_id_from_path(self) -> int:
        parts = [p for p in self.router.url.path.split("/") if p]
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0

    @rx.event
    def load(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None:
            return None
        self.record_id = self._record_id_from_path()
        try:
            with read_session() as session:
                record = raw_leads.get_visible(session, actor, self.record_id)
                sections: dict[str, list[dict[str, str]]] = {}
                for fd, value in raw_leads.display_values(session, record, locale=self.locale):
                    if fd.key == "converted_lead_id":
                        continue
                    sections.setdefault(fd.section, []).append({"label": fd.label(self.locale), "value": value})
                lines = timeline.lines(session, "raw_lead", record.id or 0, self.locale)
        except UserError as exc:
            return [rx.redirect(routes.RAW_LEADS), rx.toast.error(exc.message(self.locale))]
        self.title = f"{record.last_name or ''} {record.first_name}".strip()
        self.status = record.status
        self.converted_lead_id = record.converted_lead_id or 0
        self.contact = sections.get(SECTION_CONTACT, [])
        self.address = sections.get(SECTION_ADDRESS, [])
        self.description = sections.get(SECTION_DESCRIPTION, [])
        self.management = sections.get(SECTION_MANAGEMENT, [])
        self.custom = sections.get(SECTION_CUSTOM, [])
        self.events = [{"when": ln.when, "who": ln.who, "action": ln.action, "source": ln.source,
                        "changes": "; ".join(ln.changes),
                        "link": routes.import_result(ln.import_id) if ln.import_id else ""} for ln in lines]
        return None

    @rx.event
    def delete(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with write_session() as session:
                raw_leads.delete_records(session, actor, [self.record_id])
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        return [rx.redirect(routes.RAW_LEADS), rx.toast.success(self._t("raw_lead.deleted", count=1))]

    @rx.event
    def convert(self) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with write_session() as session:
                conversion.convert_by_user(session, actor, self.record_id)
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return rx.toast.success(self._t("raw_lead.converted"))
