"""Cấu hình hệ thống → Tích hợp → Cấu hình đồng bộ thông tin KH: three tabs (sync-config guide)."""

import reflex as rx

from crm_app import routes
from crm_app.components.settings_nav import settings_nav
from crm_app.components.shell import crm_page, page_header
from crm_app.services.channels.registry import TICKET_KEYS
from crm_app.state.auth import AuthState
from crm_app.state.sync_config import CHOICES
from crm_app.state.sync_config import SyncConfigState as S


def _setting(number: int, key: str) -> rx.Component:
    tr = AuthState.tr
    return rx.card(rx.vstack(
        rx.text(f"{number}. ", tr[f"sync.q.{key}"], weight="bold", size="2"),
        rx.text(tr[f"sync.q.{key}.hint"], size="1", color_scheme="gray"),
        rx.radio_group.root(
            rx.vstack(*[rx.el.label(rx.hstack(rx.radio_group.item(value=v, id=f"{key}-{v}"),
                                              rx.text(tr[f"sync.opt.{key}.{v}"], size="2"), align="center"),
                                    style={"cursor": "pointer"}) for v in CHOICES[key]], spacing="1"),
            value=S.choices.get(key, ""), on_change=lambda v: S.choose(key, v)),
        spacing="2"), width="100%")


def _overview() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        _setting(1, "condition"),
        _setting(2, "target_when_met"),
        _setting(3, "target_when_not_met"),
        rx.card(rx.vstack(
            rx.text("4. ", tr["sync.q.convert"], weight="bold", size="2"),
            rx.text(tr["sync.q.convert.hint"], size="1", color_scheme="gray"),
            rx.el.label(rx.hstack(rx.switch(checked=S.convert_on_update, on_change=S.set_convert, id="convert-switch"),
                                  rx.text(tr["sync.opt.convert"], size="2"), align="center")),
            spacing="2"), width="100%"),
        _setting(5, "on_match"),
        width="100%", spacing="3")


def _assignment() -> rx.Component:
    tr = AuthState.tr

    def assignee(a: rx.Var, i: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.badge((i + 1).to_string(), variant="solid"),
            rx.text(a["full_name"], " (", a["username"], ")", size="2"),
            rx.spacer(),
            rx.icon_button(rx.icon("chevron-up", size=12), size="1", variant="ghost", aria_label="Lên",
                           on_click=S.move_assignee(a["id"], -1)),
            rx.icon_button(rx.icon("chevron-down", size=12), size="1", variant="ghost", aria_label="Xuống",
                           on_click=S.move_assignee(a["id"], 1)),
            rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="red", aria_label="Bỏ",
                           on_click=S.remove_assignee(a["id"])),
            width="100%", align="center")

    return rx.vstack(
        rx.card(rx.vstack(
            rx.text("1. ", tr["sync.assign.users"], weight="bold", size="2"),
            rx.cond(S.assignees.length() > 0, rx.vstack(rx.foreach(S.assignees, assignee), width="100%",
                                                         id="assignees"),
                    rx.text(tr["sync.assign.empty"], size="1", color_scheme="gray")),
            rx.select.root(rx.select.trigger(placeholder=tr["sync.assign.add"], id="add-assignee"),
                           rx.select.content(rx.foreach(S.addable_users, lambda u: rx.select.item(
                               u["full_name"] + " (" + u["username"] + ")", value=u["id"]))),
                           value="", on_change=S.add_assignee),
            spacing="2", width="100%"), width="100%"),
        _setting(2, "assignment_method"),
        width="100%", spacing="3")


def _tickets() -> rx.Component:
    tr = AuthState.tr
    return rx.card(rx.vstack(
        rx.text(tr["sync.tickets.hint"], size="2"),
        *[rx.el.label(rx.hstack(rx.switch(checked=S.tickets.get(ch, False), id=f"ticket-{ch}",
                                          on_change=lambda v, ch=ch: S.set_ticket(ch, v)),
                                rx.text(tr[f"sync.tickets.{ch}"], size="2"), align="center"))
          for ch in TICKET_KEYS],
        spacing="3"), width="100%")


@crm_page(routes.SETTINGS_SYNC, "Cấu hình đồng bộ thông tin KH", admin=True, on_load=S.load)
def sync_config() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        rx.heading(tr["sync.title"], size="5"),
        rx.tabs.root(
            rx.tabs.list(rx.tabs.trigger(tr["sync.tab.overview"], value="overview"),
                         rx.tabs.trigger(tr["sync.tab.assignment"], value="assignment"),
                         rx.tabs.trigger(tr["sync.tab.tickets"], value="tickets")),
            rx.tabs.content(_overview(), value="overview", padding_top="1rem"),
            rx.tabs.content(_assignment(), value="assignment", padding_top="1rem"),
            rx.tabs.content(_tickets(), value="tickets", padding_top="1rem"),
            default_value="overview", width="100%", max_width="900px"),
        rx.hstack(rx.cond(S.dirty, rx.text(tr["sync.unsaved"], size="2", color_scheme="amber")),
                  rx.button(rx.icon("save", size=14), tr["common.save"], on_click=S.save, id="save-sync"),
                  align="center", spacing="3"),
        width="100%", spacing="4",
    )
