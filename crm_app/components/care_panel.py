"""The care panel of a detail view: log a call, a note or a task, and the record's open tasks."""

from __future__ import annotations

import reflex as rx

from crm_app.state.auth import AuthState
from crm_app.state.care import OWNER, CareState


def _label(text: rx.Var, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(text, size="1", weight="medium"), control, spacing="1", width="100%")


def _note(required: bool = False) -> rx.Component:
    return rx.text_area(name="note", placeholder=AuthState.tr["care.note_label"], rows="3", width="100%",
                        max_length=4000, required=required, id="care-note-" + ("required" if required else "opt"))


def _call_form() -> rx.Component:
    return rx.form(rx.vstack(
        _label(AuthState.tr["care.outcome"],
               rx.select(CareState.outcomes, name="outcome", placeholder=AuthState.tr["care.outcome"],
                         width="100%", id="care-outcome")),
        _note(),
        rx.button(AuthState.tr["care.save"], type="submit", id="care-call-save"),
        spacing="2", width="100%"), on_submit=CareState.log_call, reset_on_submit=True, width="100%")


def _note_form() -> rx.Component:
    return rx.form(rx.vstack(
        _note(required=True),
        rx.button(AuthState.tr["care.save"], type="submit", id="care-note-save"),
        spacing="2", width="100%"), on_submit=CareState.add_note, reset_on_submit=True, width="100%")


def _task_form() -> rx.Component:
    tr = AuthState.tr
    return rx.form(rx.vstack(
        _label(tr["care.task_title"], rx.input(name="title", required=True, max_length=255, width="100%",
                                                id="care-task-title")),
        rx.hstack(_label(tr["care.due_date"], rx.input(name="due_date", type="date", required=True,
                                                        id="care-task-date")),
                  _label(tr["care.due_time"], rx.input(name="due_time", type="time", default_value="09:00",
                                                        id="care-task-time")),
                  spacing="2", width="100%"),
        _label(tr["care.assignee"], rx.select.root(
            rx.select.trigger(width="100%", id="care-task-assignee"),
            rx.select.content(rx.select.item(tr["care.assignee_owner"], value=OWNER),
                              rx.foreach(CareState.users, lambda u: rx.select.item(u["name"], value=u["id"]))),
            name="assignee", default_value=OWNER)),
        _note(),
        rx.button(tr["care.save"], type="submit", id="care-task-save"),
        spacing="2", width="100%"), on_submit=CareState.add_task, reset_on_submit=True, width="100%")


def _open_task(task: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(task["title"], size="2", weight="medium"),
                  rx.text(task["due"] + " · " + task["assignee"], size="1", color_scheme="gray"), spacing="0"),
        rx.spacer(),
        rx.icon_button(rx.icon("check", size=14), size="1", variant="soft", color_scheme="green",
                       on_click=CareState.complete(task["id"]), title=AuthState.tr["care.complete"],
                       aria_label=AuthState.tr["care.complete"]),
        width="100%", align="center", class_name="care-open-task")


def care_panel() -> rx.Component:
    tr = AuthState.tr
    return rx.card(rx.vstack(
        rx.heading(tr["care.title"], size="3"),
        rx.tabs.root(
            rx.tabs.list(rx.tabs.trigger(tr["care.call"], value="call", id="care-tab-call"),
                         rx.tabs.trigger(tr["care.note"], value="note", id="care-tab-note"),
                         rx.tabs.trigger(tr["care.task"], value="task", id="care-tab-task"), size="1"),
            rx.tabs.content(_call_form(), value="call", padding_top="0.75rem"),
            rx.tabs.content(_note_form(), value="note", padding_top="0.75rem"),
            rx.tabs.content(_task_form(), value="task", padding_top="0.75rem"),
            value=CareState.tab, on_change=CareState.set_tab, width="100%"),
        rx.cond(CareState.tasks.length() > 0, rx.vstack(
            rx.separator(),
            rx.text(tr["care.open_tasks"], size="2", weight="bold"),
            rx.foreach(CareState.tasks, _open_task),
            spacing="2", width="100%", id="care-open-tasks")),
        spacing="3", width="100%"), width="100%", id="care-panel")
