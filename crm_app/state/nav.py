"""The sidebar's live figures: open tasks due by today (the badge) and unread notifications."""

from __future__ import annotations

import reflex as rx

from crm_app.db import read_session, write_session
from crm_app.services import activities
from crm_app.state.auth import AuthState


class NavState(AuthState):
    task_badge: int = 0
    notifications: list[dict[str, str]] = []

    @rx.event
    def refresh(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        with read_session() as session:
            self.task_badge = activities.open_task_count(session, actor)
            self.notifications = [{"id": str(n.id), "message": n.message, "link": n.link}
                                  for n in activities.unread_notifications(session, actor)]

    @rx.event
    def mark_read(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        with write_session() as session:
            activities.mark_notifications_read(session, actor)
        self.notifications = []
