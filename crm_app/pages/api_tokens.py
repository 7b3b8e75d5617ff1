"""Cấu hình hệ thống → API: tokens for integrations (call centre, warehouse, Zapier/Make/n8n)."""

import reflex as rx

from crm_app import routes
from crm_app.components.confirm import confirm_dialog
from crm_app.components.settings_nav import settings_header
from crm_app.components.shell import crm_page
from crm_app.state.api_tokens import ApiTokensState as S
from crm_app.state.auth import AuthState


def _revoke_button(row: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return confirm_dialog(
        rx.button(rx.icon("ban", size=12), tr["api_tokens.revoke"], size="1", variant="soft", color_scheme="red"),
        tr["api_tokens.revoke"], tr["api_tokens.revoke_confirm"].replace("{name}", row["name"]),
        tr["api_tokens.revoke"], S.revoke(row["id"]))


def _access(row: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.cond(row["write"] != "", rx.badge(tr["api_tokens.read_write"], color_scheme="orange"),
                   rx.badge(tr["api_tokens.read"], color_scheme="gray"))


def _last_used(row: rx.Var) -> rx.Component:
    return rx.cond(row["last_used"] != "", rx.text(row["last_used"], size="2"),
                   rx.text(AuthState.tr["api_tokens.never"], size="2", color_scheme="gray"))


def _status(row: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.cond(row["revoked"] != "",
                   rx.hstack(rx.badge(tr["api_tokens.revoked"], color_scheme="red"),
                             rx.text(row["revoked"], size="1", color_scheme="gray"), align="center", wrap="wrap"),
                   rx.hstack(rx.badge(tr["api_tokens.active"], color_scheme="green"), _revoke_button(row),
                             align="center", wrap="wrap"))


def _name(row: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(row["name"], weight="medium"), rx.code(row["prefix"], size="1"), spacing="1")


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_name(row)), rx.table.cell(row["owner"]), rx.table.cell(_access(row)),
        rx.table.cell(row["created"], white_space="nowrap"), rx.table.cell(_last_used(row), white_space="nowrap"),
        rx.table.cell(_status(row)),
    )


def _card(row: rx.Var) -> rx.Component:
    """A token on a phone: the table's columns stacked, the revoke button in reach."""
    tr = AuthState.tr

    def line(label: str, value: rx.Component | rx.Var) -> rx.Component:
        return rx.hstack(rx.text(tr[label], size="2", color_scheme="gray", min_width="7.5rem"), value,
                         align="center", width="100%")

    return rx.card(rx.vstack(
        rx.hstack(_name(row), rx.spacer(), _access(row), width="100%", align="start"),
        line("api_tokens.owner", rx.text(row["owner"], size="2")),
        line("api_tokens.created_at", rx.text(row["created"], size="2")),
        line("api_tokens.last_used", _last_used(row)),
        _status(row),
        spacing="2", width="100%"), width="100%")


def _field(label: str, control: rx.Component, flex: str) -> rx.Component:
    return rx.vstack(rx.text(AuthState.tr[label], size="2", weight="medium"), control, spacing="1", flex=flex)


def _new_token() -> rx.Component:
    tr = AuthState.tr
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.vstack(
            rx.text(tr["api_tokens.created_once"].replace("{name}", S.new_token_name), weight="medium"),
            rx.hstack(
                rx.input(value=S.new_token, read_only=True, id="new-token", width="100%", size="2",
                         font_family="monospace"),
                rx.button(rx.icon("copy", size=14), tr["api_tokens.copy"], on_click=S.copy_token, type="button"),
                width="100%", align="center", wrap="wrap"),
            rx.button(tr["api_tokens.done"], variant="soft", size="1", on_click=S.dismiss, id="token-done"),
            spacing="2", width="100%"),
        color_scheme="green", width="100%",
    )


@crm_page(routes.SETTINGS_API, "API", admin=True, on_load=S.load)
def api_tokens_page() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        settings_header("api_tokens.heading", "api_tokens.hint", rx.spacer(),
                        rx.link(rx.hstack(rx.icon("book-open", size=14), tr["api_tokens.docs"], align="center",
                                          spacing="1"), href=routes.API_DOCS, is_external=True, size="2")),
        rx.card(rx.form(
            rx.flex(
                _field("api_tokens.name_label", rx.input(name="name", placeholder=tr["api_tokens.name"],
                                                         id="token-name", max_length=128, width="100%"), "2 1 240px"),
                _field("api_tokens.owner", rx.select.root(
                    rx.select.trigger(aria_label=tr["api_tokens.owner"], width="100%"),
                    rx.select.content(rx.foreach(S.owners, lambda u: rx.select.item(u["label"], value=u["id"]))),
                    name="owner", value=S.owner, on_change=S.choose_owner), "1 1 200px"),
                _field("api_tokens.access", rx.select.root(
                    rx.select.trigger(aria_label=tr["api_tokens.access"], width="100%"),
                    rx.select.content(rx.select.item(tr["api_tokens.read"], value="read"),
                                      rx.select.item(tr["api_tokens.read_write"], value="write")),
                    name="access", default_value="read"), "0 1 150px"),
                rx.button(rx.icon("plus", size=14), tr["api_tokens.create"], type="submit", id="token-create"),
                spacing="3", wrap="wrap", align="end", width="100%"),
            on_submit=S.create, reset_on_submit=True), width="100%"),
        rx.cond(S.new_token != "", _new_token()),
        rx.cond(S.rows.length() > 0,
                rx.fragment(
                    rx.tablet_and_desktop(rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(tr[k]) for k in (
                            "api_tokens.heading", "api_tokens.owner", "api_tokens.access", "api_tokens.created_at",
                            "api_tokens.last_used", "api_tokens.status")])),
                        rx.table.body(rx.foreach(S.rows, _row)), width="100%", variant="surface", size="1"),
                        width="100%"),
                    rx.mobile_only(rx.vstack(rx.foreach(S.rows, _card), width="100%", spacing="2"), width="100%")),
                rx.center(rx.text(tr["api_tokens.empty"], color_scheme="gray"), padding="2rem", width="100%")),
        width="100%", max_width="1100px", spacing="3",
    )
