"""State of the channel-events admin screen."""

from __future__ import annotations

import asyncio

import reflex as rx

from crm_app.db import get_engine, read_session
from crm_app.i18n import UserError
from crm_app.services import channel_events
from crm_app.state.auth import AuthState


class ChannelEventsState(AuthState):
    rows: list[dict[str, str]] = []
    status_filter: str = "all"

    @rx.event
    def load(self) -> None:
        actor = self._admin()
        if actor is None:
            return
        with read_session() as session:
            found = channel_events.recent(session, actor,
                                          status=None if self.status_filter == "all" else self.status_filter)
        self.rows = [{"id": str(e.id), "channel": e.channel_label, "status": e.status,
                      "status_label": self._t(f"channel_ui.status.{e.status}"), "received_at": e.received_at,
                      "attempts": str(e.attempts), "error": e.error, "raw_lead_id": str(e.raw_lead_id or ""),
                      "lead_id": str(e.lead_id or "")} for e in found]

    @rx.event
    def filter_status(self, value: str) -> None:
        self.status_filter = value
        self.load()

    @rx.event(background=True)
    async def retry(self, event_id: str):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
        if actor is None or not event_id.isdigit():
            return
        try:
            status = await asyncio.to_thread(channel_events.retry, get_engine(), actor, int(event_id))
        except UserError as exc:
            yield rx.toast.error(exc.message(self.locale))
            return
        async with self:
            self.load()
        yield rx.toast.info(f"#{event_id}: {status}")
