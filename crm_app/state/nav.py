"""The sidebar's live figures: open tasks due by today (the badge) and unread notifications."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.services import activities
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, logged_in, read, write


def _figures(session: Session, actor: Actor) -> tuple[int, list[dict[str, str]]]:
    return (activities.open_task_count(session, actor),
            [{"id": str(n.id), "message": n.message, "link": n.link}
             for n in activities.unread_notifications(session, actor)])


POLL_MS = 30_000  # reminders are raised each minute, 14-15 minutes ahead: 30 s late at most is fine


class NavState(AuthState):
    task_badge: int = 0
    notifications: list[dict[str, str]] = []

    @rx.event
    async def refresh(self) -> None:
        """On every page load: nothing (no redirect) for an anonymous caller, the page guard handles them."""
        actor = await self._load_actor()
        if actor is not None:
            self.task_badge, self.notifications = await read(_figures, actor)

    @rx.event
    async def poll(self) -> EventSpec | list[Any] | None:
        """The shell's ticker, every POLL_MS while someone is logged in: a reminder raised by the scheduled
        job since the page loaded appears (sidebar list, and a toast on any screen width) without a reload.
        Two indexed reads; nothing is sent back when nothing changed."""
        actor = await self._load_actor()
        if actor is None:
            return None
        seen = {n["id"] for n in self.notifications}
        badge, notifications = await read(_figures, actor)
        if badge != self.task_badge:
            self.task_badge = badge
        if notifications != self.notifications:
            self.notifications = notifications
        new = [n for n in notifications if n["id"] not in seen]
        if not new:
            return None
        toast = rx.toast.info(new[0]["message"] + (f" (+{len(new) - 1})" if len(new) > 1 else ""),
                              duration=15000, close_button=True, id="reminder-toast")
        return toast

    @rx.event
    @logged_in
    async def mark_read(self, actor: Actor) -> None:
        await write(activities.mark_notifications_read, actor)
        self.notifications = []
