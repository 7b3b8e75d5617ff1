"""State of the users and visibility settings (admins)."""

from __future__ import annotations

import reflex as rx

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.services import clock, org, retention
from crm_app.services.reference_data import VISIBILITY_ALL
from crm_app.state.auth import AuthState


class SettingsState(AuthState):
    users: list[dict[str, str]] = []
    visibility: str = VISIBILITY_ALL
    retention_days: int = retention.DEFAULT_DAYS
    time_zone: str = clock.DEFAULT_TZ
    time_zones: list[str] = list(clock.CHOICES)
    add_error: str = ""

    @rx.event
    def load(self) -> None:
        actor = self._admin()
        if actor is None:
            return
        with read_session() as session:
            rows = org.user_rows(session=session, actor=actor)
            self.visibility = org.visibility(session=session)
            self.retention_days = retention.retention_days(session)
            self.time_zone = clock.zone_name(session)
        # A zone stored through the CLI or API but not among the offered ones stays selectable.
        self.time_zones = list(clock.CHOICES) + ([self.time_zone] if self.time_zone not in clock.CHOICES else [])
        self.users = [
            {"id": str(r.id), "username": r.username, "full_name": r.full_name,
             "role": r.role, "active": "1" if r.is_active else "",
             "raw_leads": str(r.raw_leads)}
            for r in rows
        ]

    @rx.event
    def save_visibility(self, value: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        try:
            with write_session() as session:
                org.set_visibility(session=session, actor=actor, value=value)  # type: ignore[arg-type]
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.visibility = value
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def save_retention(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        actor = self._actor()
        try:
            days = int(str(form.get("days", "")).strip())
            with write_session() as session:
                retention.set_retention_days(session, actor, days)  # type: ignore[arg-type]
        except ValueError:
            return rx.toast.error(self._t("settings.retention.range", max=retention.MAX_DAYS))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.retention_days = days
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def save_time_zone(self, value: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        try:
            with write_session() as session:
                clock.set_zone(session, actor, value)  # type: ignore[arg-type]
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.time_zone = value
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def add_user(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        actor = self._actor()
        try:
            with write_session() as session:
                org.add_user(session=session, actor=actor,  # type: ignore[arg-type]
                             username=form.get("username", ""),
                             full_name=form.get("full_name", ""),
                             password=form.get("password", ""),
                             role="admin" if form.get("role") == "admin" else "user")
        except UserError as exc:
            self.add_error = exc.message(self.locale)
            return None
        self.add_error = ""
        self.load()
        return rx.toast.success(self._t("settings.saved"))

    @rx.event
    def set_active(self, user_id: str, active: bool) -> rx.event.EventSpec | None:
        actor = self._actor()
        try:
            with write_session() as session:
                org.set_user_active(session=session, actor=actor,  # type: ignore[arg-type]
                                    user_id=int(user_id), active=active)
        except (UserError, ValueError) as exc:
            message = exc.message(self.locale) if isinstance(exc, UserError) else str(exc)
            return rx.toast.error(message)
        self.load()
        return None
