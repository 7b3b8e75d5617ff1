"""A button that asks before it acts: the trigger, then a dialog with Hủy and the action."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.state.auth import AuthState


def confirm_dialog(trigger: rx.Component, title: Any, description: Any, action: Any, on_click: Any, *,
                   color_scheme: str | None = "red", action_id: str | None = None,
                   max_width: str | None = None) -> rx.Component:
    """`trigger` opens the dialog; `action` (its button's label) runs `on_click`, Hủy closes it. Red
    by default (a destructive action); `color_scheme=None` for one that can be undone (the theme's)."""
    button: dict[str, Any] = {"id": action_id} if action_id else {}
    if color_scheme:
        button["color_scheme"] = color_scheme
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(AuthState.tr["common.cancel"], variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, on_click=on_click, **button)),
                spacing="3", justify="end", padding_top="1rem"),
            **({"max_width": max_width} if max_width else {}),
        ),
    )


def merged_badge(state: Any) -> rx.Component:
    """"Đã gộp vào #12" linking to that record, on a detail page whose record was merged (Tìm trùng);
    `state` is the page's state (a MergedIntoMixin)."""
    return rx.cond(state.merged_into != "", rx.link(
        rx.badge(rx.icon("merge", size=12), state.merged_label, color_scheme="orange", size="2"),
        href=state.merged_link, id="merged-link"))
