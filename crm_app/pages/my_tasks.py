"""Việc của tôi: overdue, today, upcoming; each task links to its record and is done in one click."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.components.ticker import ticker
from crm_app.state.auth import AuthState
from crm_app.state.my_tasks import MyTasksState as S
from crm_app.state.nav import POLL_MS


def _task(task: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon_button(rx.icon("check", size=14), size="2", variant="soft", color_scheme="green",
                       on_click=S.complete(task["id"]), title=AuthState.tr["care.complete"],
                       aria_label=AuthState.tr["care.complete"], class_name="task-done"),
        rx.vstack(
            rx.text(task["title"], size="2", weight="medium"),
            rx.hstack(rx.link(task["record"], href=task["link"], size="2"),
                      rx.text("· " + task["due"], size="1", color_scheme="gray"), spacing="2", align="center",
                      wrap="wrap"),
            spacing="0", min_width="0"),
        align="center", width="100%", padding_y="0.4rem", class_name="task-row",
        border_bottom=f"1px solid {rx.color('gray', 4)}")


def _bucket(title: rx.Var, rows: rx.Var, color: str, ident: str) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(title, size="3"), rx.badge(rows.length().to_string(), color_scheme=color),
                  align="center"),
        rx.cond(rows.length() > 0, rx.vstack(rx.foreach(rows, _task), spacing="0", width="100%"),
                rx.text(AuthState.tr["tasks.none"], size="2", color_scheme="gray")),
        spacing="2", width="100%"), width="100%", id=ident)


@crm_page(routes.MY_TASKS, "Việc của tôi", on_load=S.load)
def my_tasks() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["tasks.title"], rx.cond(AuthState.is_admin, rx.hstack(
            rx.text(tr["tasks.of_user"], size="2"),
            rx.select.root(rx.select.trigger(id="tasks-user"),
                           rx.select.content(rx.foreach(S.users, lambda u: rx.select.item(u["name"],
                                                                                           value=u["id"]))),
                           value=S.user_id, on_change=S.choose_user),
            align="center"))),
        _bucket(tr["tasks.overdue"], S.overdue, "red", "tasks-overdue"),
        _bucket(tr["tasks.today"], S.today, "amber", "tasks-today"),
        _bucket(tr["tasks.upcoming"], S.upcoming, "gray", "tasks-upcoming"),
        ticker(on_tick=S.load, interval_ms=POLL_MS),  # the list follows the shell's reminders
        width="100%", spacing="3", max_width="860px",
    )
