"""State of the Lead list and detail."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.fields import BUILTIN_BY_KEY, UNKNOWN
from crm_app.i18n import UserError
from crm_app.models import Lead
from crm_app.services import leads, timeline
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.filters import META_COLUMNS
from crm_app.state.auth import AuthState, logged_in, read, write
from crm_app.state.merged import MergedIntoMixin


def _detail(session: Session, actor: Actor, lead_id: int, locale: str
            ) -> tuple[Lead, list[dict[str, str]], list[timeline.TimelineLine]]:
    lead = leads.get_visible(session, actor, lead_id)
    return lead, leads.display_values(session, lead, locale), timeline.lines(session, "lead", lead_id, locale)


class LeadListState(AuthState):
    view: str = "list"  # list | board (the pipeline)
    board: list[dict[str, Any]] = []
    stages: list[str] = []
    rows: list[dict[str, str]] = []
    total: int = 0
    search: str = ""
    sort: str = "created_at"
    descending: bool = True
    selected: list[str] = []

    @rx.var
    def columns(self) -> list[str]:
        """Beside the name column, which shows Họ and Tên together."""
        return [c for c in leads.LEAD_COLUMNS if c not in ("last_name", "first_name")]

    @rx.var
    def labels(self) -> dict[str, str]:
        out = {k: BUILTIN_BY_KEY[k].label(self.locale) for k in leads.LEAD_COLUMNS if k in BUILTIN_BY_KEY}
        for key in ("created_at", "last_contacted_at", "next_task_at"):
            out[key] = META_COLUMNS[key][1 if self.locale == "en" else 0]
        return out

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        page = await read(leads.list_page, actor, search=self.search, sort=self.sort, descending=self.descending)
        self.rows, self.total = page.rows, page.total
        if self.view == "board":
            board = await read(leads.board, actor, search=self.search)
            self.board = [{"stage": c.stage, "meaning": c.meaning, "count": str(c.count), "cards": c.cards,
                           "more": self._t("pipeline.more", shown=len(c.cards), count=c.count)
                           if c.count > len(c.cards) else ""} for c in board]
            self.stages = [c.stage for c in board if c.stage != UNKNOWN]

    @rx.event
    @logged_in
    async def set_view(self, actor: Actor, view: str | list[str]) -> None:
        if isinstance(view, str) and view in ("list", "board"):
            self.view = view
            await self._load(actor)

    @rx.event
    @logged_in
    async def move(self, actor: Actor, lead_id: str, stage: str) -> EventSpec | None:
        if not lead_id.isdigit():
            return None
        await write(leads.move_stage, actor, int(lead_id), stage)
        await self._load(actor)
        return rx.toast.success(self._t("pipeline.moved", stage=stage))

    @rx.event
    @logged_in
    async def set_search(self, actor: Actor, value: str) -> None:
        self.search = value[:200]
        await self._load(actor)

    @rx.event
    @logged_in
    async def sort_by(self, actor: Actor, key: str) -> None:
        if key in leads.SORTS:
            self.descending = not self.descending if self.sort == key else key == "created_at"
            self.sort = key
            await self._load(actor)

    @rx.event
    def toggle_row(self, record_id: str, checked: bool) -> None:
        self.selected = [*self.selected, record_id] if checked else [s for s in self.selected if s != record_id]

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        self.selected = [r["id"] for r in self.rows] if checked else []


class LeadDetailState(MergedIntoMixin, AuthState):
    lead_id: int = 0
    title: str = ""
    status: str = ""
    raw_lead_id: int = 0
    items: list[dict[str, str]] = []
    description: str = ""  # Mô tả: long text, its own card (not a cell of the field grid)
    events: list[dict[str, str]] = []

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        self.lead_id = routes.record_id_from_path(self.router.url.path, routes.LEADS)
        try:
            lead, self.items, lines = await read(_detail, actor, self.lead_id, self.locale)
        except UserError as exc:
            return [rx.redirect(routes.LEADS), rx.toast.error(exc.message(self.locale))]
        self.title = f"{lead.last_name or ''} {lead.first_name}".strip()
        self.status, self.raw_lead_id = lead.status, lead.raw_lead_id or 0
        self.description = lead.description or ""
        self.merged_into = lead.merged_into or ""
        self.events = [{"when": ln.when, "who": ln.who, "action": ln.action, "source": ln.source,
                        "changes": "; ".join(ln.changes)} for ln in lines]
        return None
