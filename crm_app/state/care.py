"""State of the care panel on a raw lead's or a Lead's detail: log a call, a note, a task; its open
tasks. Thin: services/activities.py holds every rule and checks the caller's right on the record."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.fields import picklist_values
from crm_app.i18n import UserError
from crm_app.models import User
from crm_app.services import activities
from crm_app.services.dashboard import VN_TZ
from crm_app.state.auth import AuthState
from crm_app.state.leads import LeadDetailState
from crm_app.state.nav import NavState
from crm_app.state.raw_lead_detail import RawLeadDetailState

OWNER = "owner"


class CareState(AuthState):
    entity: str = ""
    entity_id: int = 0
    outcomes: list[str] = []
    users: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    tab: str = "call"

    def _target(self) -> tuple[str, int]:
        parts = [p for p in self.router.url.path.split("/") if p]
        entity = {"raw-leads": "raw_lead", "leads": "lead"}.get(parts[0] if parts else "", "")
        return entity, int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0

    @rx.event
    def load(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        self.entity, self.entity_id = self._target()
        with read_session() as session:
            self.outcomes = [v for v in picklist_values(session, "call_outcome")]
            self.users = [{"id": str(u.id), "name": u.full_name} for u in session.exec(
                select(User).where(User.is_active == True).order_by(User.full_name))]  # noqa: E712
            self._load_tasks(session)

    def _load_tasks(self, session: Any) -> None:
        names = {u["id"]: u["name"] for u in self.users}
        self.tasks = [{"id": str(a.id), "title": a.title or "", "assignee": names.get(str(a.assigned_to_id), ""),
                       "due": a.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if a.due_at else ""}
                      for a in activities.record_activities(session, self.entity, self.entity_id)]

    @rx.event
    def set_tab(self, tab: str) -> None:
        if tab in activities.KINDS:
            self.tab = tab

    def _after(self, message_key: str) -> list[rx.event.EventSpec]:
        with read_session() as session:
            self._load_tasks(session)
        detail = RawLeadDetailState.load if self.entity == "raw_lead" else LeadDetailState.load
        return [detail, NavState.refresh, rx.toast.success(self._t(message_key))]  # type: ignore[list-item]

    def _write(self, action: str, form: dict[str, Any]) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        entity, entity_id = self._target()  # the page's record, whatever was loaded before
        self.entity, self.entity_id = entity, entity_id
        note = str(form.get("note", ""))[:activities.NOTE_MAX + 1]
        try:
            with write_session() as session:
                if action == "call":
                    activities.log_call(session, actor, entity, entity_id, outcome=str(form.get("outcome", "")),
                                        note=note)
                elif action == "note":
                    activities.add_note(session, actor, entity, entity_id, note=note)
                else:
                    assignee = str(form.get("assignee", OWNER))
                    activities.add_task(session, actor, entity, entity_id, title=str(form.get("title", ""))[:300],
                                        due_at=activities.parse_due(str(form.get("due_date", "")),
                                                                    str(form.get("due_time", ""))),
                                        assignee_id=int(assignee) if assignee.isdigit() else None, note=note)
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        return self._after({"call": "care.call_logged", "note": "care.note_added", "task": "care.task_added"}[action])

    @rx.event
    def log_call(self, form: dict[str, Any]) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        return self._write("call", form)

    @rx.event
    def add_note(self, form: dict[str, Any]) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        return self._write("note", form)

    @rx.event
    def add_task(self, form: dict[str, Any]) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        return self._write("task", form)

    @rx.event
    def complete(self, task_id: str) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None or not task_id.isdigit():
            return None
        try:
            with write_session() as session:
                activities.complete_task(session, actor, int(task_id))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        return self._after("care.task_done")
