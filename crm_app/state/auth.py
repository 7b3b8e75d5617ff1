"""The shared auth state: a leaf module that imports nothing else from the app's UI.

The session token lives in a cookie (so authenticated API routes can serve result files);
only its hash is stored server-side. Every handler re-resolves the actor from the token:
a disabled user or an expired session is cut off at once.
"""

from __future__ import annotations

import reflex as rx

from crm_app import routes
from crm_app.db import read_session, write_session
from crm_app.i18n import DEFAULT_LOCALE, LOCALES, MESSAGES, t
from crm_app.services import auth
from crm_app.services.auth import Actor
from crm_app.settings import get_settings
from crm_app.state_cookie import SESSION_COOKIE


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
    locale: str = rx.Cookie(DEFAULT_LOCALE, name="crm_locale", same_site="lax")
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

    def _actor(self) -> Actor | None:
        with read_session() as session:
            actor = auth.actor_for_token(session=session, token=self.session_token)
        if actor is None:
            self.username, self.full_name, self.is_admin = "", "", False
        else:
            self.username, self.full_name = actor.username, actor.full_name
            self.is_admin = actor.is_admin
        return actor

    def _admin(self) -> Actor | None:
        """The caller when logged in as an admin; None for anyone else (admin pages load nothing)."""
        actor = self._actor()
        return actor if actor is not None and actor.is_admin else None

    def _t(self, key: str, **params: object) -> str:
        return t(key, self.locale, **params)

    def _to_login(self) -> rx.event.EventSpec:
        return rx.redirect(routes.login_with_next(self.router.url.path))

    def _remember_section(self) -> None:
        parts = [p for p in self.router.url.path.split("/") if p]
        section = "/" + parts[0] if parts else routes.HOME
        if section in LANDING_SECTIONS and section != self.last_section:
            self.last_section = section

    @rx.event
    def require_login(self) -> rx.event.EventSpec | None:
        if self._actor() is None:
            return self._to_login()
        self._remember_section()
        return None

    @rx.event
    def require_admin(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None:
            return self._to_login()
        if not actor.is_admin:
            return [rx.redirect(routes.RAW_LEADS),
                    rx.toast.error(self._t("auth.admin_only"))]
        return None

    @rx.event
    def redirect_if_logged_in(self) -> rx.event.EventSpec | None:
        self.login_error = ""
        retried = self.router.url.query_parameters.get("retry") == "1"
        self.login_notice = self._t("login.retry") if retried else ""
        if self._actor() is not None:
            return rx.redirect(routes.HOME)
        return None

    @rx.event
    def login(self, form_data: dict[str, str]) -> rx.event.EventSpec | None:
        username = str(form_data.get("username", "")).strip()
        password = str(form_data.get("password", ""))
        if not username or not password:
            self.login_error = self._t("login.error.empty")
            return None
        with write_session() as session:
            user = auth.authenticate(session=session, username=username, password=password)
            if user is not None and not user.is_active:
                self.login_error = self._t("login.error.inactive")
                return None
            if user is None:
                self.login_error = self._t("login.error.invalid")
                return None
            token = auth.open_session(session=session, user=user,
                                      days=get_settings().session_days)
            actor = Actor.of(user)
        self.session_token = token
        self.username, self.full_name, self.is_admin = (actor.username, actor.full_name,
                                                        actor.is_admin)
        self.login_error, self.login_notice = "", ""
        landing = self.last_section if self.last_section in LANDING_SECTIONS else routes.HOME
        target = self.router.url.query_parameters.get("next", landing)
        return rx.redirect(_safe_next(target))

    @rx.event
    def logout(self) -> rx.event.EventSpec:
        with write_session() as session:
            auth.close_session(session=session, token=self.session_token)
        self.session_token = ""
        self.username, self.full_name, self.is_admin = "", "", False
        return rx.redirect(routes.LOGIN)

    @rx.event
    def toggle_locale(self) -> None:
        self.locale = LOCALES[(LOCALES.index(self.locale) + 1) % len(LOCALES)] \
            if self.locale in LOCALES else DEFAULT_LOCALE
