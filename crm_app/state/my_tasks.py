"""State of Việc của tôi: the user's open tasks by bucket; an admin may pick another user."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session, select

from crm_app.models import User
from crm_app.services import activities
from crm_app.services.auth import Actor
from crm_app.state.auth import logged_in, read, write
from crm_app.state.nav import NavState, _figures


def _screen(session: Session, actor: Actor, user_id: int) -> tuple[list[activities.TaskRow], list[dict[str, str]]]:
    rows = activities.tasks_for(session, actor, user_id=user_id)
    users = [{"id": str(u.id), "name": u.full_name} for u in session.exec(
        select(User).where(User.is_active == True).order_by(User.full_name))] if actor.is_admin else []  # noqa: E712
    return rows, users


class MyTasksState(NavState):
    overdue: list[dict[str, str]] = []
    today: list[dict[str, str]] = []
    upcoming: list[dict[str, str]] = []
    user_id: str = ""
    users: list[dict[str, str]] = []

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        if not self.user_id.isdigit() or not actor.is_admin:
            self.user_id = str(actor.id)
        rows, self.users = await read(_screen, actor, int(self.user_id))
        as_dicts = [{"id": str(r.id), "title": r.title, "due": r.due, "record": r.record, "link": r.link,
                     "bucket": r.bucket} for r in rows]
        self.overdue = [r for r in as_dicts if r["bucket"] == "overdue"]
        self.today = [r for r in as_dicts if r["bucket"] == "today"]
        self.upcoming = [r for r in as_dicts if r["bucket"] == "upcoming"]

    @rx.event
    @logged_in
    async def choose_user(self, actor: Actor, user_id: str) -> None:
        if user_id.isdigit():
            self.user_id = user_id
        await self._load(actor)

    @rx.event
    @logged_in
    async def complete(self, actor: Actor, task_id: str) -> rx.event.EventSpec | None:
        if not task_id.isdigit():
            return None
        await write(activities.complete_task, actor, int(task_id))
        await self._load(actor)
        self.task_badge, self.notifications = await read(_figures, actor)
        return rx.toast.success(self._t("care.task_done"))

