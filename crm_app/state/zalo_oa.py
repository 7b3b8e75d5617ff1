"""State of the Zalo OA connection panel (admins): connect, reconnect, refresh, disconnect."""

from __future__ import annotations

import asyncio
from datetime import datetime

import reflex as rx

from crm_app.db import get_engine, read_session
from crm_app.i18n import UserError
from crm_app.services import zalo_oa
from crm_app.services.dashboard import VN_TZ as ORG_TZ
from crm_app.state.auth import AuthState

_RESULTS = {"ok": "zalo.result.ok", "denied": "zalo.callback.denied", "invalid": "zalo.callback.invalid",
            "expired": "zalo.callback.expired", "failed": "zalo.callback.failed"}


def _when(value: datetime | None) -> str:
    return value.astimezone(ORG_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


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

    def _reload(self) -> bool:
        actor = self._admin()
        if actor is None:
            return False
        with read_session() as session:
            view = zalo_oa.status(session, actor)
        self.status, self.configured, self.env_token = view.status, view.configured, view.env_token
        self.oa = " · ".join(x for x in (view.oa_name, view.oa_id) if x)
        self.connected_at, self.expires_at = _when(view.connected_at), _when(view.access_expires_at)
        self.refresh_expires_at, self.last_refresh = _when(view.refresh_expires_at), _when(view.last_refresh_at)
        self.last_error, self.last_error_at = view.last_error, _when(view.last_error_at)
        self.version = view.version
        self.callback_url = zalo_oa.callback_url(self._origin())
        return True

    @rx.event
    def load(self) -> None:
        if not self._reload():
            return
        outcome = self.router.url.query_parameters.get("zalo", "")
        key = _RESULTS.get(outcome, "")
        self.result_ok = outcome == "ok"
        self.result = self._t(key, detail=self.last_error) if key else ""

    @rx.event
    def connect(self) -> rx.event.EventSpec | None:
        try:
            url = zalo_oa.start_authorization(get_engine(), self._actor(), self._origin())
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        # The same tab goes to Zalo's consent page and comes back through the callback.
        return rx.redirect(url)

    @rx.event(background=True)
    async def refresh_now(self):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._admin()
            version = self.version
            self.busy = True
        if actor is None:
            return
        try:
            await asyncio.to_thread(zalo_oa.refresh, get_engine(), seen_version=version)
            message = rx.toast.success(self._t("zalo.refreshed_toast"))
        except zalo_oa.ZaloOAError as exc:
            message = rx.toast.error(self._t("zalo.refresh_failed", detail=str(exc)))
        finally:
            async with self:
                self.busy = False
                self.result = ""
                self._reload()
        yield message

    @rx.event
    def disconnect(self) -> rx.event.EventSpec | None:
        try:
            zalo_oa.disconnect(get_engine(), self._actor())
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.result = ""
        self._reload()
        return rx.toast.success(self._t("zalo.disconnected_toast"))
