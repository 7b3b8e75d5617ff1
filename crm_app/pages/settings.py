"""Cấu hình hệ thống (admins): users and who sees which raw leads."""

import reflex as rx

from crm_app import routes
from crm_app.components.settings_nav import settings_nav
from crm_app.components.shell import crm_page, page_header
from crm_app.services.reference_data import VISIBILITY_ALL, VISIBILITY_OWN
from crm_app.state.auth import AuthState
from crm_app.state.settings import SettingsState


def _user_row(user: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.table.row(
        rx.table.cell(user["username"]),
        rx.table.cell(user["full_name"]),
        rx.table.cell(rx.cond(user["role"] == "admin", rx.badge(tr["common.role.admin"]),
                              rx.badge(tr["common.role.user"], color_scheme="gray"))),
        rx.table.cell(user["raw_leads"]),
        rx.table.cell(rx.cond(
            user["active"] != "",
            rx.button(tr["common.active"], size="1", variant="soft", color_scheme="green",
                      on_click=SettingsState.set_active(user["id"], False)),
            rx.button(tr["common.inactive"], size="1", variant="soft", color_scheme="red",
                      on_click=SettingsState.set_active(user["id"], True)),
        )),
    )


@crm_page(routes.SETTINGS, "Cấu hình hệ thống", admin=True, on_load=SettingsState.load)
def settings() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        rx.card(
            rx.vstack(
                rx.heading(tr["page.settings.org"], size="4"),
                rx.radio_group.root(
                    rx.vstack(
                        rx.radio_group.item(tr["settings.visibility.all"], value=VISIBILITY_ALL),
                        rx.radio_group.item(tr["settings.visibility.own"], value=VISIBILITY_OWN),
                    ),
                    value=SettingsState.visibility,
                    on_change=SettingsState.save_visibility,
                    id="visibility",
                ),
            ),
            width="100%",
        ),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(tr["settings.retention.title"], size="4"),
                    rx.text(tr["settings.retention.help"], size="2", color_scheme="gray"),
                    rx.hstack(
                        rx.input(name="days", type="number", min=1, max=3650, key=SettingsState.retention_days,
                                 default_value=SettingsState.retention_days.to_string(), width="7em",
                                 id="retention-days"),
                        rx.text(tr["settings.retention.days"], size="2"),
                        rx.button(tr["common.save"], type="submit", id="retention-save"),
                        align="center", wrap="wrap",
                    ),
                ),
                on_submit=SettingsState.save_retention,
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading(tr["settings.time_zone.title"], size="4"),
                rx.text(tr["settings.time_zone.help"], size="2", color_scheme="gray"),
                rx.select(SettingsState.time_zones, value=SettingsState.time_zone,
                          on_change=SettingsState.save_time_zone, id="time-zone", width="min(100%, 20em)"),
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading(tr["page.settings.users"], size="4"),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(tr["login.username"]),
                        rx.table.column_header_cell(tr["users.full_name"]),
                        rx.table.column_header_cell(tr["users.role"]),
                        rx.table.column_header_cell(tr["nav.raw_leads"]),
                        rx.table.column_header_cell(tr["users.status"]),
                    )),
                    rx.table.body(rx.foreach(SettingsState.users, _user_row)),
                    width="100%",
                ),
                rx.form(
                    rx.hstack(
                        rx.input(name="username", placeholder=tr["login.username"]),
                        rx.input(name="full_name", placeholder=tr["users.full_name"]),
                        rx.input(name="password", type="password", placeholder=tr["login.password"]),
                        rx.select.root(rx.select.trigger(), rx.select.content(
                            rx.select.item(tr["common.role.user"], value="user"),
                            rx.select.item(tr["common.role.admin"], value="admin")),
                            name="role", default_value="user"),
                        rx.button(tr["users.add"], type="submit"),
                        wrap="wrap",
                    ),
                    on_submit=SettingsState.add_user,
                    reset_on_submit=True,
                ),
                rx.cond(SettingsState.add_error != "",
                        rx.callout(SettingsState.add_error, color_scheme="red", icon="triangle-alert")),
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        spacing="4",
    )
