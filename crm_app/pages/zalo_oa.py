"""Cấu hình hệ thống → Zalo OA: the Official Account's OAuth connection and its health."""

import reflex as rx

from crm_app import routes
from crm_app.components.confirm import confirm_dialog
from crm_app.components.settings_nav import settings_header
from crm_app.components.shell import crm_page
from crm_app.state.auth import AuthState
from crm_app.state.zalo_oa import ZaloOAState as S


def _badge() -> rx.Component:
    tr = AuthState.tr
    return rx.match(
        S.status,
        ("connected", rx.badge(rx.icon("circle-check", size=14), tr["zalo.status.connected"], color_scheme="green",
                               size="2", id="zalo-status")),
        ("broken", rx.badge(rx.icon("circle-alert", size=14), tr["zalo.status.broken"], color_scheme="red",
                            size="2", id="zalo-status")),
        rx.badge(tr["zalo.status.disconnected"], color_scheme="gray", size="2", id="zalo-status"),
    )


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.cond(value != "", rx.flex(
        rx.text(AuthState.tr[label], size="2", color_scheme="gray", min_width="13.5rem"),
        rx.text(value, size="2", weight="medium"),
        wrap="wrap", column_gap="0.75rem", width="100%"))


def _connect_button(label: str) -> rx.Component:
    return rx.button(rx.icon("link", size=14), AuthState.tr[label], on_click=S.connect, id="zalo-connect",
                     disabled=~S.configured, size="3")


def _disconnect_button() -> rx.Component:
    tr = AuthState.tr
    return confirm_dialog(
        rx.button(rx.icon("unlink", size=14), tr["zalo.disconnect"], variant="soft", color_scheme="red",
                  id="zalo-disconnect"),
        tr["zalo.disconnect"], tr["zalo.disconnect_confirm"], tr["zalo.disconnect"], S.disconnect)


def _facts(*, expiry: bool = True) -> rx.Component:
    # A broken connection's expiry dates would only mislead: Zalo refuses its tokens already.
    dates = [_fact("zalo.expires_at", S.expires_at), _fact("zalo.refresh_expires_at", S.refresh_expires_at)]
    return rx.vstack(
        _fact("zalo.oa", S.oa),
        _fact("zalo.connected_at", S.connected_at),
        *(dates[:1] if expiry else []),
        _fact("zalo.last_refresh", S.last_refresh),
        *(dates[1:] if expiry else []),
        spacing="2", width="100%")


def _last_error(color: str) -> rx.Component:
    return rx.cond(S.last_error != "", rx.text(
        AuthState.tr["zalo.last_error"], " (", S.last_error_at, "): ", S.last_error,
        size="1", color_scheme=color, id="zalo-last-error"))


def _connected() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        _facts(),
        _last_error("amber"),
        rx.flex(
            rx.button(rx.icon("refresh-cw", size=14), tr["zalo.refresh_now"], variant="soft", on_click=S.refresh_now,
                      loading=S.busy, id="zalo-refresh"),
            _disconnect_button(),
            spacing="3", wrap="wrap", padding_top="0.5rem"),
        spacing="3", width="100%")


def _broken() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.callout.root(rx.callout.icon(rx.icon("triangle-alert")), rx.callout.text(tr["zalo.broken"]),
                        color_scheme="red", width="100%", id="zalo-broken"),
        _last_error("red"),
        _facts(expiry=False),
        rx.flex(_connect_button("zalo.reconnect"), _disconnect_button(), spacing="3", wrap="wrap", align="center"),
        spacing="3", width="100%")


def _disconnected() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.text(tr["zalo.never_connected"], size="2"),
        rx.cond(S.env_token, rx.callout.root(rx.callout.icon(rx.icon("info")), rx.callout.text(tr["zalo.env_fallback"]),
                                             color_scheme="amber", size="1", width="100%")),
        _last_error("red"),
        _connect_button("zalo.connect"),
        spacing="3", width="100%")


@crm_page(routes.SETTINGS_ZALO, "Zalo OA", admin=True, on_load=S.load)
def zalo_oa_page() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        settings_header("zalo.heading", "zalo.hint", _badge()),
        rx.cond(S.result != "", rx.callout.root(
            rx.callout.icon(rx.cond(S.result_ok, rx.icon("circle-check"), rx.icon("circle-alert"))),
            rx.callout.text(S.result), color_scheme=rx.cond(S.result_ok, "green", "red"), width="100%",
            id="zalo-result")),
        rx.cond(~S.configured, rx.callout.root(rx.callout.icon(rx.icon("settings")),
                                               rx.callout.text(tr["zalo.not_configured"]),
                                               color_scheme="amber", width="100%")),
        rx.card(rx.match(S.status, ("connected", _connected()), ("broken", _broken()), _disconnected()),
                width="100%", id="zalo-panel"),
        rx.vstack(
            rx.text(tr["zalo.callback_url"], size="1", color_scheme="gray"),
            rx.code(S.callback_url, size="1", word_break="break-all", id="zalo-callback-url"),
            spacing="1", width="100%"),
        width="100%", max_width="1100px", spacing="3",
    )
