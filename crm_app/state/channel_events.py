"""State of the channel-events admin screen."""

from __future__ import annotations

import asyncio

import reflex as rx

from crm_app.db import get_engine
from crm_app.i18n import UserError
from crm_app.services import channel_events
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, actor_for_token, admin_only, read


class ChannelEventsState(AuthState):
    rows: list[dict[str, str]] = []
    status_filter: str = "all"

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        self._show(await read(channel_events.recent, actor,
                              status=None if self.status_filter == "all" else self.status_filter))

    def _show(self, found: list[channel_events.EventRow]) -> None:
        self.rows = [{"id": str(e.id), "channel": e.channel_label, "status": e.status,
                      "status_label": self._t(f"channel_ui.status.{e.status}"), "received_at": e.received_at,
                      "attempts": str(e.attempts), "error": e.error, "raw_lead_id": str(e.raw_lead_id or ""),
                      "lead_id": str(e.lead_id or ""),
                      "no_contact": "1" if e.no_contact else ""} for e in found]

    @rx.event
    @admin_only
    async def filter_status(self, actor: Actor, value: str) -> None:
        self.status_filter = value
        await self._load(actor)

    @rx.event(background=True)
    async def retry(self, event_id: str):
        """In the background: a retry may wait on a provider, and the screen stays usable meanwhile."""
        async with self:
            token, status_filter = self.session_token, self.status_filter
        actor = await actor_for_token(token)
        if actor is None or not event_id.isdigit():
            return
        try:
            status = await asyncio.to_thread(channel_events.retry, get_engine(), actor, int(event_id))
        except UserError as exc:
            yield rx.toast.error(exc.message(self.locale))
            return
        found = await read(channel_events.recent, actor, status=None if status_filter == "all" else status_filter)
        async with self:
            self._show(found)
        yield rx.toast.info(f"#{event_id}: {status}")
