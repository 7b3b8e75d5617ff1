"""A sortable, selectable table of one page of rows; it takes data and callbacks, not services.

Its first columns, the check box and the record's full name (the link to it), stay in place while
the other columns scroll sideways inside the table: every column the admin chose stays reachable on
a laptop or a phone, and a row is always known by its name."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.event import EventSpec

NAME_KEY = "_name"  # services.raw_leads.NAME_KEY: each row's full name (Họ + Tên)
NAME_COLUMNS = ("last_name", "first_name")  # shown in the name column, not again beside it
CHECK_WIDTH = "36px"


def _sticky(left: str, header: bool = False, edge: bool = False) -> dict[str, str]:
    """A cell that stays in place: opaque, with the row's bottom line (and, for the name, a right
    edge) drawn inset, since Radix draws its lines as the cell's own shadow."""
    shadow = "inset 0 -1px var(--gray-a5)" + (", inset -1px 0 var(--gray-a6)" if edge else "")
    return {"position": "sticky", "left": left, "z_index": "2" if header else "1",
            "background": "var(--color-panel-solid)", "box_shadow": shadow}


def _check_width() -> dict[str, str]:
    # Exactly CHECK_WIDTH wide, so the name column sticks right against it (no gap to see through).
    return {"width": CHECK_WIDTH, "min_width": CHECK_WIDTH, "max_width": CHECK_WIDTH, "box_sizing": "border-box",
            "padding_left": "10px", "padding_right": "0"}


def sort_header(label: rx.Var, key: rx.Var | str, sort: rx.Var, descending: rx.Var,
                on_sort: Callable[[rx.Var], EventSpec], **style: str) -> rx.Component:
    arrow = rx.cond(sort == key, rx.cond(descending, rx.icon("arrow-down", size=12),
                                         rx.icon("arrow-up", size=12)), rx.fragment())
    return rx.table.column_header_cell(
        rx.hstack(rx.text(label), arrow, spacing="1", align="center", cursor="pointer",
                  on_click=on_sort(key)),
        white_space="nowrap", **style,
    )


def data_table(
    *, rows: rx.Var, columns: rx.Var, labels: rx.Var, sort: rx.Var, descending: rx.Var,
    on_sort: Callable[[rx.Var], EventSpec], selected: rx.Var, all_selected: rx.Var,
    on_toggle_row: Callable, on_toggle_all: Callable, link_for: Callable[[rx.Var], rx.Var],
    name_label: rx.Var | str, name_sort: str = "first_name", table_id: str = "data-table",
) -> rx.Component:
    """`columns` are the other columns (without Họ/Tên: the name column shows both)."""

    def cell(row: rx.Var, key: rx.Var) -> rx.Component:
        # Narrower on a phone: a column must fit beside the name column to be read whole.
        return rx.table.cell(rx.text(row[key].to(str)), white_space="nowrap",
                             max_width=rx.breakpoints(initial="150px", md="240px"), overflow="hidden",
                             text_overflow="ellipsis", title=row[key].to(str))

    def body_row(row: rx.Var) -> rx.Component:
        name = row[NAME_KEY].to(str)
        return rx.table.row(
            rx.table.cell(rx.checkbox(checked=selected.contains(row["id"]),
                                      on_change=lambda c: on_toggle_row(row["id"], c),
                                      aria_label="Chọn dòng"), **_check_width(), **_sticky("0")),
            rx.table.row_header_cell(
                rx.link(rx.cond(name != "", name, "#" + row["id"].to(str)), href=link_for(row["id"]),
                        weight="medium", class_name="row-name"),
                white_space="nowrap", max_width=rx.breakpoints(initial="150px", md="260px"), overflow="hidden",
                text_overflow="ellipsis", **_sticky(CHECK_WIDTH, edge=True)),
            rx.foreach(columns, lambda key: cell(row, key)),
            _hover={"background": rx.color("gray", 2)},
        )

    return rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(rx.checkbox(checked=all_selected, on_change=on_toggle_all,
                                                    aria_label="Chọn tất cả"), **_check_width(),
                                        **_sticky("0", header=True)),
            sort_header(name_label, name_sort, sort, descending, on_sort,
                        **_sticky(CHECK_WIDTH, header=True, edge=True)),
            rx.foreach(columns, lambda key: sort_header(labels[key].to(str), key, sort, descending,
                                                        on_sort)),
        )),
        rx.table.body(rx.foreach(rows, body_row)),
        variant="surface",
        size="1",
        width="100%",
        id=table_id,
        # The surface variant clips its inner table (overflow: hidden), which made the table its own
        # scroll box: the sticky cells then stuck to it and scrolled away with the rest.
        style={"& .rt-TableRootTable": {"overflow": "visible"}},
    )
