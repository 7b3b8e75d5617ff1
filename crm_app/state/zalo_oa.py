"""State of the Zalo OA connection panel (admins): connect, reconnect, refresh, disconnect."""

from __future__ import annotations

import asyncio
from datetime import datetime, tzinfo

import reflex as rx
from sqlmodel import Session

from crm_app.db import get_engine
from crm_app.services import clock, zalo_oa
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, Reply, actor_for_token, admin_only, read

_RESULTS = {"ok": "zalo.result.ok", "denied": "zalo.callback.denied", "invalid": "zalo.callback.invalid",
            "expired": "zalo.callback.expired", "failed": "zalo.callback.failed"}


def _when(value: datetime | None, tz: tzinfo) -> str:
    return clock.fmt_datetime(value, tz)


def _status(session: Session, actor: Actor) -> tuple[zalo_oa.ConnectionStatus, tzinfo]:
    """The connection and the organisation's zone, for the times shown."""
    return zalo_oa.status(session, actor), clock.zone(session)


class ZaloOAState(AuthState):
    status: str = zalo_oa.DISCONNECTED
    configured: bool = False
    env_token: bool = False
    oa: str = ""
    connected_at: str = ""
    expires_at: str = ""
    refresh_expires_at: str = ""
    last_refresh: str = ""
    last_error: str = ""
    last_error_at: str = ""
    callback_url: str = ""
    version: int = 0
    # The outcome of the authorisation the admin just came back from (the callback's ?zalo=…).
    result: str = ""
    result_ok: bool = False
    busy: bool = False

    def _origin(self) -> str:
        url = self.router.url
        return f"{url.scheme}://{url.netloc}" if url.netloc else ""

    async def _reload(self, actor: Actor) -> None:
        self._show(*await read(_status, actor))

    def _show(self, view: zalo_oa.ConnectionStatus, tz: tzinfo) -> None:
        self.status, self.configured, self.env_token = view.status, view.configured, view.env_token
        self.oa = " · ".join(x for x in (view.oa_name, view.oa_id) if x)
        self.connected_at, self.expires_at = _when(view.connected_at, tz), _when(view.access_expires_at, tz)
        self.refresh_expires_at = _when(view.refresh_expires_at, tz)
        self.last_refresh = _when(view.last_refresh_at, tz)
        self.last_error, self.last_error_at = view.last_error, _when(view.last_error_at, tz)
        self.version = view.version
        self.callback_url = zalo_oa.callback_url(self._origin())

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        self._show(*await read(_status, actor))
        outcome = self.router.url.query_parameters.get("zalo", "")
        key = _RESULTS.get(outcome, "")
        self.result_ok = outcome == "ok"
        self.result = self._t(key, detail=self.last_error) if key else ""

    @rx.event
    @admin_only
    async def connect(self, actor: Actor) -> Reply:
        url = await asyncio.to_thread(zalo_oa.start_authorization, get_engine(), actor, self._origin())
        # The same tab goes to Zalo's consent page and comes back through the callback.
        return rx.redirect(url)

    @rx.event(background=True)
    async def refresh_now(self):
        """In the background: the token call may take seconds, and the screen stays usable."""
        async with self:
            token = self.session_token
        actor = await actor_for_token(token)
        if actor is None or not actor.is_admin:
            return
        async with self:
            self.busy = True
        try:
            await asyncio.to_thread(zalo_oa.refresh_now, get_engine(), actor)
            message = rx.toast.success(self._t("zalo.refreshed_toast"))
        except zalo_oa.ZaloOAError as exc:
            message = rx.toast.error(self._t("zalo.refresh_failed", detail=str(exc)))
        finally:
            view, tz = await read(_status, actor)
            async with self:
                self.busy, self.result = False, ""
                self._show(view, tz)
        yield message

    @rx.event
    @admin_only
    async def disconnect(self, actor: Actor) -> Reply:
        await asyncio.to_thread(zalo_oa.disconnect, get_engine(), actor)
        self.result = ""
        self._show(*await read(_status, actor))
        return rx.toast.success(self._t("zalo.disconnected_toast"))


class ZaloNoticeState(AuthState):
    """Whether the Zalo OA connection needs an admin (for a notice on other admin screens)."""

    zalo_broken: bool = False

    @rx.event
    @admin_only
    async def load(self, actor: Actor) -> None:
        self.zalo_broken = (await read(zalo_oa.status, actor)).status == zalo_oa.BROKEN
