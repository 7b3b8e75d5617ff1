"""Login page."""

import reflex as rx

from crm_app import routes
from crm_app.state.auth import AuthState


@rx.page(route=routes.LOGIN, title="Đăng nhập", on_load=AuthState.redirect_if_logged_in)
def login() -> rx.Component:
    tr = AuthState.tr
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(rx.icon("users", size=28, color=rx.color("accent", 10)),
                              rx.heading(tr["app.name"], size="6"), align="center"),
                    rx.text(tr["login.subtitle"], color_scheme="gray", size="2"),
                    rx.cond(
                        AuthState.login_notice != "",
                        rx.callout(AuthState.login_notice, icon="info", color_scheme="blue", width="100%",
                                   id="login-notice"),
                    ),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(AuthState.login_error, icon="triangle-alert",
                                   color_scheme="red", role="alert", width="100%",
                                   id="login-error"),
                    ),
                    rx.el.label(tr["login.username"], html_for="username", font_size="14px",
                                font_weight="500"),
                    rx.input(id="username", name="username", placeholder="thuhuong",
                             auto_focus=True, auto_complete="username", width="100%", size="3"),
                    rx.el.label(tr["login.password"], html_for="password", font_size="14px",
                                font_weight="500"),
                    rx.input(id="password", name="password", type="password",
                             auto_complete="current-password", width="100%", size="3"),
                    rx.button(tr["login.submit"], type="submit", width="100%", size="3",
                              id="login-submit"),
                    rx.button(tr["nav.language"], type="button", variant="ghost", size="1",
                              on_click=AuthState.toggle_locale),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.login,
                reset_on_submit=False,
                # Before the scripts load, a press submits natively: a POST (never a GET, whose
                # URL would carry the password) to a route that only sends the browser back here.
                method="post",
                action=routes.LOGIN_FALLBACK,
            ),
            width="100%",
            max_width="380px",
            padding="1.5rem",
        ),
        min_height="100vh",
        padding="0.75rem",
        background=rx.color("gray", 2),
    )
