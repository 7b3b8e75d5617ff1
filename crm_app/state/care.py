"""State of the care panel on a raw lead's or a Lead's detail: log a call, a note, a task; its open
tasks. Thin: services/activities.py holds every rule and checks the caller's right on the record."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session, select

from crm_app import routes
from crm_app.fields import picklist_values
from crm_app.models import User
from crm_app.services import activities, clock
from crm_app.services.auth import Actor
from crm_app.services.raw_leads import access
from crm_app.state.auth import AuthState, logged_in, read, write
from crm_app.state.leads import LeadDetailState
from crm_app.state.nav import NavState
from crm_app.state.raw_lead_detail import RawLeadDetailState

OWNER = "owner"


def _open_tasks(session: Session, entity: str, entity_id: int) -> list[dict[str, str]]:
    tasks = activities.record_activities(session, entity, entity_id)
    tz = clock.zone(session)
    names = {u.id: u.full_name for u in session.exec(
        select(User).where(User.id.in_({a.assigned_to_id for a in tasks if a.assigned_to_id})))}  # type: ignore[union-attr]
    return [{"id": str(a.id), "title": a.title or "", "assignee": names.get(a.assigned_to_id, ""),
             "due": clock.fmt_datetime(a.due_at, tz)} for a in tasks]


def _panel(session: Session, actor: Actor, entity: str, entity_id: int
           ) -> tuple[list[str], list[dict[str, str]], list[dict[str, str]]]:
    model = activities.ENTITIES.get(entity)
    record = session.get(model, entity_id) if model is not None else None
    if record is None or not access.can_see(session, actor, record):
        return [], [], []  # nothing about a record the caller cannot edit (the detail sends them away)
    users = [{"id": str(u.id), "name": u.full_name} for u in session.exec(
        select(User).where(User.is_active == True).order_by(User.full_name))]  # noqa: E712
    return picklist_values(session, "call_outcome"), users, _open_tasks(session, entity, entity_id)


def _log(session: Session, actor: Actor, action: str, entity: str, entity_id: int, form: dict[str, Any]) -> None:
    note = str(form.get("note", ""))[:activities.NOTE_MAX + 1]
    if action == "call":
        activities.log_call(session, actor, entity, entity_id, outcome=str(form.get("outcome", "")), note=note)
    elif action == "note":
        activities.add_note(session, actor, entity, entity_id, note=note)
    else:
        assignee = str(form.get("assignee", OWNER))
        activities.add_task(session, actor, entity, entity_id, title=str(form.get("title", ""))[:300],
                            due_at=activities.parse_due(str(form.get("due_date", "")), str(form.get("due_time", "")),
                                                           clock.zone(session)),
                            assignee_id=int(assignee) if assignee.isdigit() else None, note=note)


class CareState(AuthState):
    entity: str = ""
    entity_id: int = 0
    outcomes: list[str] = []
    users: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    tab: str = "call"

    def _target(self) -> tuple[str, int]:
        """The page's record (raw-leads/N or leads/N), whatever was loaded before."""
        path = self.router.url.path
        entity = {"raw-leads": "raw_lead", "leads": "lead"}.get(routes.section_of(path), "")
        section = routes.RAW_LEADS if entity == "raw_lead" else routes.LEADS
        return entity, routes.record_id_from_path(path, section) if entity else 0

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        self.entity, self.entity_id = self._target()
        self.outcomes, self.users, self.tasks = [], [], []
        self.outcomes, self.users, self.tasks = await read(_panel, actor, self.entity, self.entity_id)

    @rx.event
    def set_tab(self, tab: str) -> None:
        if tab in activities.KINDS:
            self.tab = tab

    async def _write(self, actor: Actor, action: str, form: dict[str, Any]) -> list[EventSpec]:
        self.entity, self.entity_id = self._target()
        await write(_log, actor, action, self.entity, self.entity_id, form)
        return await self._after(actor, {"call": "care.call_logged", "note": "care.note_added",
                                         "task": "care.task_added"}[action])

    async def _after(self, actor: Actor, message_key: str) -> list[EventSpec]:
        self.tasks = await read(_open_tasks, self.entity, self.entity_id)
        detail = RawLeadDetailState.load if self.entity == "raw_lead" else LeadDetailState.load
        return [detail, NavState.refresh, rx.toast.success(self._t(message_key))]

    @rx.event
    @logged_in
    async def log_call(self, actor: Actor, form: dict[str, Any]) -> list[EventSpec]:
        return await self._write(actor, "call", form)

    @rx.event
    @logged_in
    async def add_note(self, actor: Actor, form: dict[str, Any]) -> list[EventSpec]:
        return await self._write(actor, "note", form)

    @rx.event
    @logged_in
    async def add_task(self, actor: Actor, form: dict[str, Any]) -> list[EventSpec]:
        return await self._write(actor, "task", form)

    @rx.event
    @logged_in
    async def complete(self, actor: Actor, task_id: str) -> list[EventSpec] | None:
        if not task_id.isdigit():
            return None
        self.entity, self.entity_id = self._target()
        await write(activities.complete_task, actor, int(task_id))
        return await self._after(actor, "care.task_done")
