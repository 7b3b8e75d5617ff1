"""State of the users and visibility settings (admins)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.i18n import UserError
from crm_app.services import clock, org, retention
from crm_app.services.auth import Actor
from crm_app.services.reference_data import VISIBILITY_ALL
from crm_app.state.auth import AuthState, admin_only, logged_in, read, write


def _overview(session: Session, actor: Actor) -> tuple[list[org.UserRow], str, int, str]:
    return (org.user_rows(session=session, actor=actor), org.visibility(session=session),
            retention.retention_days(session), clock.zone_name(session))


class SettingsState(AuthState):
    users: list[dict[str, str]] = []
    visibility: str = VISIBILITY_ALL
    retention_days: int = retention.DEFAULT_DAYS
    time_zone: str = clock.DEFAULT_TZ
    time_zones: list[str] = list(clock.CHOICES)
    add_error: str = ""

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        rows, self.visibility, self.retention_days, self.time_zone = await read(_overview, actor)
        # A zone stored through the CLI or API but not among the offered ones stays selectable.
        self.time_zones = list(clock.CHOICES) + ([self.time_zone] if self.time_zone not in clock.CHOICES else [])
        self.users = [
            {"id": str(r.id), "username": r.username, "full_name": r.full_name,
             "role": r.role, "active": "1" if r.is_active else "",
             "raw_leads": str(r.raw_leads)}
            for r in rows
        ]

    @rx.event
    @logged_in
    async def save_visibility(self, actor: Actor, value: str) -> EventSpec | None:
        await write(lambda s: org.set_visibility(session=s, actor=actor, value=value))
        self.visibility = value
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def save_retention(self, actor: Actor, form: dict[str, str]) -> EventSpec | None:
        days = str(form.get("days", "")).strip()
        if not days.isdigit():
            return rx.toast.error(self._t("settings.retention.range", max=retention.MAX_DAYS))
        await write(retention.set_retention_days, actor, int(days))
        self.retention_days = int(days)
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def save_time_zone(self, actor: Actor, value: str) -> EventSpec | None:
        await write(clock.set_zone, actor, value)
        self.time_zone = value
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def add_user(self, actor: Actor, form: dict[str, str]) -> EventSpec | None:
        try:
            await write(lambda s: org.add_user(
                session=s, actor=actor, username=form.get("username", ""), full_name=form.get("full_name", ""),
                password=form.get("password", ""), role="admin" if form.get("role") == "admin" else "user"))
        except UserError as exc:
            self.add_error = exc.message(self.locale)  # shown under the form, not as a toast
            return None
        self.add_error = ""
        await self._load(actor)
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    @logged_in
    async def set_active(self, actor: Actor, user_id: str, active: bool) -> None:
        if user_id.isdigit():
            await write(lambda s: org.set_user_active(session=s, actor=actor, user_id=int(user_id), active=active))
            await self._load(actor)
