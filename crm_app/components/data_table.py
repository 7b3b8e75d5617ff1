"""A sortable, selectable table of one page of rows; it takes data and callbacks, not services."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.event import EventSpec


def sort_header(label: rx.Var, key: rx.Var, sort: rx.Var, descending: rx.Var,
                on_sort: Callable[[rx.Var], EventSpec]) -> rx.Component:
    arrow = rx.cond(sort == key, rx.cond(descending, rx.icon("arrow-down", size=12),
                                         rx.icon("arrow-up", size=12)), rx.fragment())
    return rx.table.column_header_cell(
        rx.hstack(rx.text(label), arrow, spacing="1", align="center", cursor="pointer",
                  on_click=on_sort(key)),
        white_space="nowrap",
    )


def data_table(
    *, rows: rx.Var, columns: rx.Var, labels: rx.Var, sort: rx.Var, descending: rx.Var,
    on_sort: Callable[[rx.Var], EventSpec], selected: rx.Var, all_selected: rx.Var,
    on_toggle_row: Callable, on_toggle_all: Callable, link_for: Callable[[rx.Var], rx.Var],
) -> rx.Component:
    def cell(row: rx.Var, key: rx.Var, index: rx.Var) -> rx.Component:
        value = row[key].to(str)
        return rx.table.cell(
            rx.cond(index == 0,
                    rx.link(rx.cond(value != "", value, "(—)"), href=link_for(row["id"]),
                            weight="medium"),
                    rx.text(value)),
            white_space="nowrap", max_width="260px", overflow="hidden", text_overflow="ellipsis",
        )

    def body_row(row: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.cell(rx.checkbox(checked=selected.contains(row["id"]),
                                      on_change=lambda c: on_toggle_row(row["id"], c),
                                      aria_label="Chọn dòng")),
            rx.foreach(columns, lambda key, i: cell(row, key, i)),
            _hover={"background": rx.color("gray", 2)},
        )

    return rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(rx.checkbox(checked=all_selected, on_change=on_toggle_all,
                                                    aria_label="Chọn tất cả"), width="36px"),
            rx.foreach(columns, lambda key: sort_header(labels[key].to(str), key, sort, descending,
                                                        on_sort)),
        )),
        rx.table.body(rx.foreach(rows, body_row)),
        variant="surface",
        size="1",
        width="100%",
    )
