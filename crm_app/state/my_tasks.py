"""State of Việc của tôi: the user's open tasks by bucket; an admin may pick another user."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import User
from crm_app.services import activities
from crm_app.state.nav import NavState


class MyTasksState(NavState):
    overdue: list[dict[str, str]] = []
    today: list[dict[str, str]] = []
    upcoming: list[dict[str, str]] = []
    user_id: str = ""
    users: list[dict[str, str]] = []

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        if not self.user_id or not actor.is_admin:
            self.user_id = str(actor.id)
        try:
            with read_session() as session:
                rows = activities.tasks_for(session, actor, user_id=int(self.user_id))
                if actor.is_admin:
                    self.users = [{"id": str(u.id), "name": u.full_name} for u in session.exec(
                        select(User).where(User.is_active == True).order_by(User.full_name))]  # noqa: E712
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        as_dicts = [{"id": str(r.id), "title": r.title, "due": r.due, "record": r.record, "link": r.link,
                     "bucket": r.bucket} for r in rows]
        self.overdue = [r for r in as_dicts if r["bucket"] == "overdue"]
        self.today = [r for r in as_dicts if r["bucket"] == "today"]
        self.upcoming = [r for r in as_dicts if r["bucket"] == "upcoming"]
        return None

    @rx.event
    def choose_user(self, user_id: str) -> rx.event.EventSpec | None:
        if user_id.isdigit():
            self.user_id = user_id
        return self.load()

    @rx.event
    def complete(self, task_id: str) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None or not task_id.isdigit():
            return None
        try:
            with write_session() as session:
                activities.complete_task(session, actor, int(task_id))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        self.refresh()
        return rx.toast.success(self._t("care.task_done"))
