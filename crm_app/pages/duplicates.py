"""Tìm trùng: duplicate groups across raw leads and Leads, a merge form with a choice per field, a
confirmation, and the recent merges with their undo."""

import reflex as rx

from crm_app import routes
from crm_app.components.confirm import confirm_dialog
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.duplicates import DuplicatesState as S


def _member(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(m["kind"], color_scheme=rx.cond(m["kind"] == "Lead", "green", "blue"))),
        rx.table.cell(rx.link(rx.cond(m["name"] != "", m["name"], "(—)"), href=m["link"])),
        rx.table.cell(m["mobile"]), rx.table.cell(m["phone"]), rx.table.cell(m["email"]),
        rx.table.cell(m["owner"]), rx.table.cell(m["status"]), rx.table.cell(m["created"]),
        white_space="nowrap")


def _group(g: rx.Var) -> rx.Component:
    tr = AuthState.tr
    members = g["members"].to(list[dict[str, str]])
    return rx.card(rx.vstack(
        rx.hstack(rx.icon("copy", size=16), rx.text(g["key"], weight="bold", word_break="break-word", min_width="0"),
                  rx.badge(g["size"].to(str), color_scheme="orange"), rx.spacer(),
                  rx.button(rx.icon("merge", size=14), tr["dup.merge"], size="1", on_click=S.open_merge(g["refs"]),
                            class_name="dup-merge"),
                  align="center", width="100%"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(tr[f"dup.col.{c}"], white_space="nowrap")
                                           for c in ("kind", "name", "mobile", "phone", "email", "owner",
                                                     "status", "created")])),
            rx.table.body(rx.foreach(members, _member)), size="1", width="100%"),
               width="100%", overflow_x="auto"),
        spacing="2", width="100%"), width="100%", class_name="dup-group")


def _merge_form() -> rx.Component:
    tr = AuthState.tr

    def header(ref: rx.Var, index: rx.Var) -> rx.Component:
        kept = S.kept == ref
        return rx.table.column_header_cell(rx.vstack(
            rx.text(S.record_labels[index], size="2"),
            rx.button(rx.cond(kept, rx.icon("circle-check", size=12), rx.icon("circle", size=12)), tr["dup.keep"],
                      size="1", variant=rx.cond(kept, "solid", "outline"), on_click=S.choose_kept(ref),
                      class_name="dup-keep"),
            spacing="1"), min_width="180px")

    def cell(key: rx.Var, c: rx.Var) -> rx.Component:
        chosen = S.choices[key.to(str)] == c["ref"]
        return rx.table.cell(rx.box(
            rx.text(rx.cond(c["value"] != "", c["value"], "—"), size="2"),
            on_click=S.choose(key, c["ref"]), cursor="pointer", padding="0.25rem 0.5rem", border_radius="6px",
            border=rx.cond(chosen, f"2px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 5)}"),
            background=rx.cond(chosen, rx.color("accent", 3), "transparent"),
            class_name=rx.cond(chosen, "dup-cell dup-chosen", "dup-cell")))

    def row(f: rx.Var) -> rx.Component:
        return rx.table.row(rx.table.row_header_cell(f["label"].to(str), white_space="nowrap"),
                            rx.foreach(f["cells"].to(list[dict[str, str]]), lambda c: cell(f["key"], c)))

    return rx.card(rx.vstack(
        rx.heading(tr["dup.merge_title"], size="4"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(tr["dup.field"]), rx.foreach(S.refs, header))),
            rx.table.body(rx.foreach(S.fields, row)), size="1", variant="surface"),
            width="100%", overflow_x="auto"),
        rx.hstack(
            rx.button(tr["common.cancel"], variant="soft", color_scheme="gray", on_click=S.cancel_merge),
            confirm_dialog(rx.button(rx.icon("merge", size=14), tr["dup.do_merge"], id="dup-do-merge"),
                           tr["dup.merge_title"], S.confirm_text, tr["dup.do_merge"], S.do_merge,
                           color_scheme=None, action_id="dup-confirm"),
            justify="end", width="100%", spacing="3"),
        spacing="3", width="100%"), width="100%", id="merge-form")


def _recent() -> rx.Component:
    tr = AuthState.tr
    return rx.cond(S.merges.length() > 0, rx.card(rx.vstack(
        rx.heading(tr["dup.recent"], size="3"),
        rx.foreach(S.merges, lambda m: rx.hstack(
            rx.text(m["label"], size="2", text_decoration=rx.cond(m["undone"] != "", "line-through", "none")),
            rx.spacer(),
            rx.cond(m["undone"] == "", rx.button(rx.icon("undo-2", size=12), tr["dup.undo"], size="1",
                                                 variant="soft", color_scheme="orange", on_click=S.undo(m["id"]),
                                                 class_name="dup-undo")),
            width="100%", align="center")),
        spacing="2", width="100%"), width="100%", id="recent-merges"))


@crm_page(routes.DUPLICATES, "Tìm trùng", on_load=S.load)
def duplicates_page() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["dup.title"]),
        rx.text(tr["dup.subtitle"], size="2", color_scheme="gray"),
        rx.cond(S.merging, _merge_form(), rx.fragment(
            rx.text(S.total_label, size="2", weight="medium", id="dup-total"),
            rx.cond(S.groups.length() > 0, rx.vstack(rx.foreach(S.groups, _group), spacing="3", width="100%"),
                    rx.center(rx.text(tr["dup.none"], color_scheme="gray"), padding="3rem", width="100%")),
            rx.hstack(rx.button(rx.icon("chevron-left", size=14), size="1", variant="soft",
                                disabled=S.page <= 1, on_click=S.go_to_page(S.page - 1)),
                      rx.text(S.page.to_string(), size="2"),
                      rx.button(rx.icon("chevron-right", size=14), size="1", variant="soft",
                                disabled=~S.has_next, on_click=S.go_to_page(S.page + 1)),
                      align="center"))),
        _recent(),
        width="100%", spacing="3",
    )
