"""State of Cấu hình đồng bộ thông tin KH (admins): a draft of the settings, saved at once."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.models import User
from crm_app.services import auth, sync_settings
from crm_app.services.auth import Actor
from crm_app.services.sync_settings import CHOICES, SyncSettings
from crm_app.state.auth import AuthState, admin_only, logged_in, read, write


def _config(session: Session) -> tuple[SyncSettings, list[User]]:
    return sync_settings.load_config(session), auth.list_users(session=session, active_only=True)


class SyncConfigState(AuthState):
    choices: dict[str, str] = {}
    convert_on_update: bool = True
    assignees: list[dict[str, str]] = []
    users: list[dict[str, str]] = []
    tickets: dict[str, bool] = {}
    dirty: bool = False

    @rx.var
    def addable_users(self) -> list[dict[str, str]]:
        chosen = {a["id"] for a in self.assignees}
        return [u for u in self.users if u["id"] not in chosen]

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        settings, users = await read(_config)
        self.users = [{"id": str(u.id), "username": u.username, "full_name": u.full_name} for u in users]
        by_id = {u["id"]: u for u in self.users}
        self.choices = {k: getattr(settings, k) for k in CHOICES}
        self.convert_on_update = settings.convert_on_update
        self.assignees = [by_id[str(i)] for i in settings.assignment_users if str(i) in by_id]
        self.tickets = dict(settings.tickets)
        self.dirty = False

    @rx.event
    def choose(self, key: str, value: str) -> None:
        if key in CHOICES and value in CHOICES[key]:
            self.choices = {**self.choices, key: value}
            self.dirty = True

    @rx.event
    def set_convert(self, value: bool) -> None:
        self.convert_on_update, self.dirty = bool(value), True

    @rx.event
    def add_assignee(self, user_id: str) -> None:
        user = next((u for u in self.users if u["id"] == user_id), None)
        if user and user not in self.assignees:
            self.assignees, self.dirty = [*self.assignees, user], True

    @rx.event
    def remove_assignee(self, user_id: str) -> None:
        self.assignees, self.dirty = [a for a in self.assignees if a["id"] != user_id], True

    @rx.event
    def move_assignee(self, user_id: str, step: int) -> None:
        ids = [a["id"] for a in self.assignees]
        if user_id in ids:
            i = ids.index(user_id)
            j = min(max(0, i + step), len(ids) - 1)
            items = list(self.assignees)
            items[i], items[j] = items[j], items[i]
            self.assignees, self.dirty = items, True

    @rx.event
    def set_ticket(self, channel: str, value: bool) -> None:
        if channel in sync_settings.TICKET_KEYS:
            self.tickets, self.dirty = {**self.tickets, channel: bool(value)}, True

    @rx.event
    @logged_in
    async def save(self, actor: Actor) -> EventSpec | None:
        settings = SyncSettings(**self.choices, convert_on_update=self.convert_on_update,
                                assignment_users=[int(a["id"]) for a in self.assignees], tickets=dict(self.tickets))
        await write(sync_settings.save_config, actor, settings)
        self.dirty = False
        return rx.toast.success(self._t("settings.saved"))
