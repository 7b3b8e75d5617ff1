"""The sidebar's live figures: open tasks due by today (the badge) and unread notifications."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from crm_app.services import activities
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, logged_in, read, write


def _figures(session: Session, actor: Actor) -> tuple[int, list[dict[str, str]]]:
    return (activities.open_task_count(session, actor),
            [{"id": str(n.id), "message": n.message, "link": n.link}
             for n in activities.unread_notifications(session, actor)])


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
    @logged_in
    async def mark_read(self, actor: Actor) -> None:
        await write(activities.mark_notifications_read, actor)
        self.notifications = []
