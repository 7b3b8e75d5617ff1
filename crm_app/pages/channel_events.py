"""Cấu hình hệ thống → Sự kiện kênh: recent webhook deliveries, what they produced, errors, retry."""

import reflex as rx

from crm_app import routes
from crm_app.components.settings_nav import settings_nav
from crm_app.components.shell import crm_page, page_header
from crm_app.components.zalo_notice import zalo_broken_notice
from crm_app.services.channel_events import FILTERS
from crm_app.state.auth import AuthState
from crm_app.state.channel_events import ChannelEventsState as S

_COLORS = {"processed": "green", "failed": "red", "received": "amber", "ignored": "gray"}


def _row(e: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.table.row(
        rx.table.cell(e["id"]), rx.table.cell(e["received_at"]), rx.table.cell(e["channel"]),
        rx.table.cell(rx.match(e["status"], *[(s, rx.badge(e["status_label"], color_scheme=c))
                                              for s, c in _COLORS.items()], rx.badge(e["status_label"]))),
        rx.table.cell(rx.hstack(
            rx.cond(e["raw_lead_id"] != "", rx.link("KH thô #" + e["raw_lead_id"],
                                                    href=routes.raw_lead(e["raw_lead_id"]))),
            rx.cond(e["lead_id"] != "", rx.link("Lead #" + e["lead_id"], href=routes.lead(e["lead_id"]))),
            rx.cond(e["no_contact"] != "", rx.badge(AuthState.tr["channel_ui.no_contact"], color_scheme="orange",
                                                    title=AuthState.tr["channel_ui.no_contact_hint"])),
            flex_wrap="wrap")),
        rx.table.cell(rx.text(e["error"], size="1", color_scheme="red"), max_width="360px"),
        rx.table.cell(rx.cond((e["status"] == "failed") | (e["status"] == "received"),
                              rx.button(rx.icon("rotate-cw", size=12), tr["channel_ui.retry"], size="1",
                                        variant="soft", on_click=S.retry(e["id"])))),
    )


@crm_page(routes.SETTINGS_CHANNELS, "Sự kiện kênh", admin=True, on_load=S.load)
def channel_events() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        zalo_broken_notice(),
        rx.hstack(rx.heading(tr["channel_ui.title"], size="5"), rx.spacer(),
                  rx.select.root(rx.select.trigger(), rx.select.content(
                      rx.select.item(tr["ticket.all"], value="all"),
                      *[rx.select.item(tr[f"channel_ui.status.{s}"], value=s) for s in FILTERS]),
                      value=S.status_filter, on_change=S.filter_status),
                  rx.button(rx.icon("refresh-cw", size=14), variant="soft", on_click=S.load, aria_label="Tải lại"),
                  width="100%", align="center"),
        rx.cond(S.rows.length() > 0, rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(tr[k]) for k in (
                "channel_ui.id", "channel_ui.received", "ticket.channel", "users.status", "channel_ui.record",
                "channel_ui.error", "channel_ui.action")])),
            rx.table.body(rx.foreach(S.rows, _row)), width="100%", variant="surface", size="1"),
            rx.center(rx.text(tr["channel_ui.empty"], color_scheme="gray"), padding="3rem", width="100%")),
        width="100%", spacing="4",
    )
