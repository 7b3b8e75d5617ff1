"""The shared auth state: a leaf module that imports nothing else from the app's UI.

The session token lives in a cookie (so authenticated API routes can serve result files);
only its hash is stored server-side. Every handler re-resolves the actor from the token:
a disabled user or an expired session is cut off at once.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from http.cookies import SimpleCookie
from typing import Any, Concatenate, ParamSpec, TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.i18n import DEFAULT_LOCALE, LOCALES, MESSAGES, UserError, t
from crm_app.services import auth
from crm_app.services.auth import Actor
from crm_app.settings import get_settings
from crm_app.state_cookie import SESSION_COOKIE

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="AuthState")
# What an event handler may return to the browser.
Reply = EventSpec | list[EventSpec] | None
LOCALE_COOKIE = "crm_locale"


# ------------------------------------------------------------ the database, off the event loop
# One event loop serves every browser: a handler that waited on the database there would freeze
# all of them. Service calls run in a worker thread, each in its own session.

async def read(fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """fn(session, *args, **kwargs) in a worker thread, inside a read session."""
    def run() -> R:
        with read_session() as session:
            return fn(session, *args, **kwargs)
    return await asyncio.to_thread(run)


async def write(fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """fn(session, *args, **kwargs) in a worker thread, inside a write session (committed on success)."""
    def run() -> R:
        with write_session() as session:
            return fn(session, *args, **kwargs)
    return await asyncio.to_thread(run)


def _actor_for(session: Session, token: str) -> Actor | None:
    return auth.actor_for_token(session=session, token=token)


async def actor_for_token(token: str) -> Actor | None:
    """The actor behind a session token, read in a worker thread (for background handlers)."""
    return await read(_actor_for, token)


# ------------------------------------------------------------ the one handler shape

def _handler(admin: bool) -> Callable[[Callable[Concatenate[S, Actor, P], Awaitable[R]]],
                                      Callable[Concatenate[S, P], Coroutine[Any, Any, R | Reply]]]:
    def decorate(fn: Callable[Concatenate[S, Actor, P], Awaitable[R]]
                 ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R | Reply]]:
        @functools.wraps(fn)
        async def handler(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R | Reply:
            actor = await self._load_actor()
            if actor is None:
                return self._to_login()
            if admin and not actor.is_admin:
                return None  # the page guard has already sent them away, with auth.admin_only
            try:
                return await fn(self, actor, *args, **kwargs)
            except UserError as exc:
                return rx.toast.error(exc.message(self.locale))

        # Reflex reads the handler's arguments (names and types) from its signature: the actor is
        # the decorator's, not the browser's.
        signature = inspect.signature(fn)
        this, actor_param, *rest = signature.parameters.values()
        setattr(handler, "__signature__", signature.replace(parameters=[this, *rest]))  # noqa: B010
        handler.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != actor_param.name}
        return handler
    return decorate


# The caller's Actor is passed after self; an anonymous caller (a session that expired, or a
# client calling the handler by name) is sent to the login page and the body never runs. A
# service's UserError becomes a toast in the caller's language.
logged_in = _handler(admin=False)
# The same, and a caller who is not an admin gets nothing (the service refuses them anyway).
admin_only = _handler(admin=True)


def _locale_of_current_event() -> str:
    """The caller's language, from the locale cookie of the event being processed."""
    try:
        from reflex_base.event.context import EventContext

        headers = EventContext.get().router_data.get("headers", {})
        cookie = SimpleCookie(headers.get("cookie", ""))
        locale = cookie[LOCALE_COOKIE].value if LOCALE_COOKIE in cookie else DEFAULT_LOCALE
    except Exception:  # noqa: BLE001  (no event, no headers: the default language)
        return DEFAULT_LOCALE
    return locale if locale in LOCALES else DEFAULT_LOCALE


def unexpected_error(exception: Exception) -> EventSpec:
    """The app's last resort for an error no handler expected: logged with its traceback, and a
    translated message for the user (never Python's own text, never a blank screen)."""
    log.error("Unexpected error in an event handler:\n%s",
              "".join(traceback.format_exception(type(exception), exception, exception.__traceback__)))
    key = "error.database" if isinstance(exception, OperationalError | InterfaceError) else "error.unexpected"
    return rx.toast.error(t(key, _locale_of_current_event()), position="top-center")


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect to another origin after login."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return routes.RAW_LEADS


# Where a login may land when no `next` says otherwise: the sections of the navigation.
LANDING_SECTIONS = (routes.HOME, routes.RAW_LEADS, routes.LEADS, routes.TICKETS)


class AuthState(rx.State):
    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, same_site="strict",
        max_age=get_settings().session_days * 86400,
    )
    locale: str = rx.Cookie(DEFAULT_LOCALE, name=LOCALE_COOKIE, same_site="lax")
    # The section the user was last in: after logging in they land there, not on the dashboard and a
    # second click away from the list they use all day.
    last_section: str = rx.Cookie("", name="crm_last_section", same_site="strict", max_age=365 * 86400)
    username: str = ""
    full_name: str = ""
    is_admin: bool = False
    login_error: str = ""
    login_notice: str = ""  # the form was sent before the page's scripts had loaded (?retry=1)

    @rx.var
    def tr(self) -> dict[str, str]:
        return MESSAGES.get(self.locale, MESSAGES[DEFAULT_LOCALE])

    @rx.var
    def is_authenticated(self) -> bool:
        return bool(self.username)

    def _show_actor(self, actor: Actor | None) -> None:
        if actor is None:
            self.username, self.full_name, self.is_admin = "", "", False
        else:
            self.username, self.full_name = actor.username, actor.full_name
            self.is_admin = actor.is_admin

    async def _load_actor(self) -> Actor | None:
        """The caller, re-read from the session token (in a worker thread): a disabled user or an
        expired session is cut off at once."""
        actor = await actor_for_token(self.session_token)
        self._show_actor(actor)
        return actor

    def _t(self, key: str, **params: object) -> str:
        return t(key, self.locale, **params)

    def _to_login(self) -> EventSpec:
        return rx.redirect(routes.login_with_next(self.router.url.path))

    def _remember_section(self) -> None:
        first = routes.section_of(self.router.url.path)
        section = "/" + first if first else routes.HOME
        if section in LANDING_SECTIONS and section != self.last_section:
            self.last_section = section

    @rx.event
    async def require_login(self) -> EventSpec | None:
        if await self._load_actor() is None:
            return self._to_login()
        self._remember_section()
        return None

    @rx.event
    async def require_admin(self) -> EventSpec | list[EventSpec] | None:
        actor = await self._load_actor()
        if actor is None:
            return self._to_login()
        if not actor.is_admin:
            return [rx.redirect(routes.RAW_LEADS),
                    rx.toast.error(self._t("auth.admin_only"))]
        return None

    @rx.event
    async def redirect_if_logged_in(self) -> EventSpec | None:
        self.login_error = ""
        retried = self.router.url.query_parameters.get("retry") == "1"
        self.login_notice = self._t("login.retry") if retried else ""
        if await self._load_actor() is not None:
            return rx.redirect(routes.HOME)
        return None

    @rx.event
    async def login(self, form_data: dict[str, str]) -> EventSpec | None:
        username = str(form_data.get("username", "")).strip()
        password = str(form_data.get("password", ""))
        if not username or not password:
            self.login_error = self._t("login.error.empty")
            return None
        error, token, actor = await write(_log_in, username, password)
        if error:
            self.login_error = self._t(error)
            return None
        self.session_token = token
        self._show_actor(actor)
        self.login_error, self.login_notice = "", ""
        landing = self.last_section if self.last_section in LANDING_SECTIONS else routes.HOME
        target = self.router.url.query_parameters.get("next", landing)
        return rx.redirect(_safe_next(target))

    @rx.event
    async def logout(self) -> EventSpec:
        await write(_log_out, self.session_token)
        self.session_token = ""
        self._show_actor(None)
        return rx.redirect(routes.LOGIN)

    @rx.event
    def toggle_locale(self) -> None:
        self.locale = LOCALES[(LOCALES.index(self.locale) + 1) % len(LOCALES)] \
            if self.locale in LOCALES else DEFAULT_LOCALE


def _log_in(session: Session, username: str, password: str) -> tuple[str, str, Actor | None]:
    """(error key or "", session token, actor): password hashing is slow on purpose, so it runs
    in a worker thread like any database call."""
    user = auth.authenticate(session=session, username=username, password=password)
    if user is None:
        return "login.error.invalid", "", None
    if not user.is_active:
        return "login.error.inactive", "", None
    token = auth.open_session(session=session, user=user, days=get_settings().session_days)
    return "", token, Actor.of(user)


def _log_out(session: Session, token: str) -> None:
    auth.close_session(session=session, token=token)
