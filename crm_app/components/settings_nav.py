"""Tabs between the admin settings screens, and the header each settings screen starts with."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import page_header
from crm_app.state.auth import AuthState


def settings_nav() -> rx.Component:
    tr = AuthState.tr
    path = AuthState.router.url.path

    def tab(label: rx.Var, href: str) -> rx.Component:
        active = path.rstrip("/") == href
        return rx.link(rx.button(label, variant=rx.cond(active, "solid", "soft"), size="2"), href=href)

    return rx.hstack(
        tab(tr["page.settings.users"], routes.SETTINGS),
        tab(tr["fields.title"], routes.SETTINGS_FIELDS),
        tab(tr["sync.title"], routes.SETTINGS_SYNC),
        tab(tr["forms.title"], routes.SETTINGS_FORMS),
        tab(tr["channel_ui.title"], routes.SETTINGS_CHANNELS),
        tab(tr["zalo.title"], routes.SETTINGS_ZALO),
        tab(tr["api_tokens.title"], routes.SETTINGS_API),
        spacing="2", padding_bottom="0.5rem", wrap="wrap",
    )


def settings_header(heading: str, hint: str, *aside: rx.Component) -> rx.Component:
    """Cấu hình hệ thống's title and tabs, then the screen's heading (with `aside` beside it: a badge,
    a link) and its hint: the top of every settings card screen. `heading` and `hint` are catalogue keys."""
    tr = AuthState.tr
    return rx.fragment(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        rx.flex(rx.heading(tr[heading], size="5"), *aside, align="center", spacing="3", wrap="wrap", width="100%"),
        rx.text(tr[hint], size="2", color_scheme="gray"),
    )
