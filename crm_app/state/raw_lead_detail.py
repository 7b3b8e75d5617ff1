"""State of the raw-lead detail view."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.fields import SECTION_ADDRESS, SECTION_CONTACT, SECTION_CUSTOM, SECTION_DESCRIPTION, SECTION_MANAGEMENT
from crm_app.i18n import UserError
from crm_app.models import RawLead
from crm_app.services import conversion, timeline
from crm_app.services.auth import Actor
from crm_app.services.raw_leads import access, display, records
from crm_app.state.auth import AuthState, logged_in, read, write
from crm_app.state.merged import MergedIntoMixin


def _detail(session: Session, actor: Actor, record_id: int, locale: str
            ) -> tuple[RawLead, dict[str, list[dict[str, str]]], list[timeline.TimelineLine]]:
    record = access.get_visible(session, actor, record_id)
    sections: dict[str, list[dict[str, str]]] = {}
    for fd, value in display.display_values(session, record, locale=locale):
        if fd.key == "converted_lead_id":
            continue
        sections.setdefault(fd.section, []).append({"label": fd.label(locale), "value": value})
    return record, sections, timeline.lines(session, "raw_lead", record.id or 0, locale)


class RawLeadDetailState(MergedIntoMixin, AuthState):
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
    def edit_href(self) -> str:
        return routes.raw_lead_edit(self.record_id)

    @rx.var
    def converted_label(self) -> str:
        return self._t("detail.converted_to", id=self.converted_lead_id)

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        self.record_id = routes.record_id_from_path(self.router.url.path, routes.RAW_LEADS)
        return await self._load(actor)

    async def _load(self, actor: Actor) -> list[EventSpec] | None:
        try:
            record, sections, lines = await read(_detail, actor, self.record_id, self.locale)
        except UserError as exc:
            return [rx.redirect(routes.RAW_LEADS), rx.toast.error(exc.message(self.locale))]
        self.title = f"{record.last_name or ''} {record.first_name}".strip()
        self.status = record.status
        self.converted_lead_id = record.converted_lead_id or 0
        self.merged_into = record.merged_into or ""
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
    @logged_in
    async def delete(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        await write(records.delete_records, actor, [self.record_id])
        return [rx.redirect(routes.RAW_LEADS), rx.toast.success(self._t("raw_lead.deleted", count=1))]

    @rx.event
    @logged_in
    async def convert(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        await write(conversion.convert_by_user, actor, self.record_id)
        await self._load(actor)
        return rx.toast.success(self._t("raw_lead.converted"))
