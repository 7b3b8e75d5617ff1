"""KH thô list: search, saved filters, conditions, columns, bulk actions, export, pagination."""

import reflex as rx

from crm_app import routes
from crm_app.components.confirm import confirm_dialog
from crm_app.components.data_table import data_table
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.raw_leads import NO_FILTER
from crm_app.state.raw_leads import RawLeadListState as S

OPS = ("eq", "contains", "empty", "not_empty", "in", "between", "past", "open")


def _condition_row(row: rx.Var, index: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(width="180px"),
            rx.select.content(rx.foreach(S.filter_fields, lambda f: rx.select.item(f["label"], value=f["key"]))),
            value=row["field"], on_change=lambda v: S.set_condition(index, "field", v),
        ),
        rx.select.root(
            rx.select.trigger(width="130px"),
            rx.select.content(*[rx.select.item(tr[f"op.{op}"], value=op) for op in OPS]),
            value=row["op"], on_change=lambda v: S.set_condition(index, "op", v),
        ),
        rx.cond(
            (row["op"] == "empty") | (row["op"] == "not_empty") | (row["op"] == "past") | (row["op"] == "open"),
            rx.fragment(),
            rx.cond(
                row["op"] == "between",
                rx.hstack(
                    rx.input(type="date", value=row["value"], on_change=lambda v: S.set_condition(index, "value", v)),
                    rx.input(type="date", value=row["value2"],
                             on_change=lambda v: S.set_condition(index, "value2", v)),
                ),
                rx.input(value=row["value"], on_change=lambda v: S.set_condition(index, "value", v),
                         placeholder=rx.cond(row["op"] == "in", "A, B, C", ""), width="200px"),
            ),
        ),
        rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray",
                       on_click=S.remove_condition(index), aria_label="Xoá điều kiện"),
        align="center", wrap="wrap",
    )


def _filter_popover() -> rx.Component:
    tr = AuthState.tr
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("filter", size=14), tr["list.filters"],
                                     rx.cond(S.conditions.length() > 0, rx.badge(S.conditions.length())),
                                     variant="soft", id="filters-button")),
        rx.popover.content(
            rx.vstack(
                rx.foreach(S.conditions, _condition_row),
                rx.hstack(
                    rx.button(rx.icon("plus", size=14), tr["filter.add_condition"], variant="soft", size="1",
                              on_click=S.add_condition),
                    rx.spacer(),
                    rx.button(tr["filter.clear"], variant="ghost", size="1", on_click=S.clear_filters),
                    rx.popover.close(rx.button(tr["filter.apply"], size="1", on_click=S.apply_filters)),
                    width="100%",
                ),
                rx.separator(),
                rx.form(
                    rx.hstack(
                        rx.input(name="name", placeholder=tr["filter.name"], size="1"),
                        rx.cond(AuthState.is_admin,
                                rx.hstack(rx.checkbox(name="shared"), rx.text(tr["filter.shared"], size="1"),
                                          align="center")),
                        rx.button(tr["filter.save_as"], size="1", type="submit", variant="outline"),
                        align="center",
                    ),
                    on_submit=S.save_filter, reset_on_submit=True,
                ),
                spacing="3",
            ),
            min_width=rx.breakpoints(initial="0", md="560px"), max_width="calc(100vw - 1.5rem)",
        ),
    )


def _filters_dialog() -> rx.Component:
    """Rename or delete the saved filters the user may change (own ones; shared ones for an admin)."""
    tr = AuthState.tr

    def row(f: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.cond(f["shared"] != "", rx.text("★", color_scheme="amber")),
            rx.input(default_value=f["name"], size="2", flex="1", min_width="0", aria_label=tr["filter.name"],
                     class_name="filter-name", on_change=lambda v: S.set_filter_draft(f["id"], v)),
            rx.button(tr["filter.rename"], size="2", variant="soft", class_name="filter-rename",
                      on_click=S.rename_filter(f["id"])),
            confirm_dialog(rx.icon_button(rx.icon("trash-2", size=14), size="2", variant="soft", color_scheme="red",
                                          aria_label=tr["filter.delete"], class_name="filter-delete"),
                           rx.fragment(tr["filter.delete"], " «", f["name"], "»"), tr["filter.delete_confirm"],
                           tr["filter.delete"], S.delete_filter(f["id"]), action_id="filter-delete-confirm",
                           max_width="420px"),
            width="100%", align="center", class_name="saved-filter-row",
        )

    return rx.dialog.root(
        rx.dialog.trigger(rx.icon_button(rx.icon("settings-2", size=14), variant="soft",
                                         aria_label=tr["filter.manage"], title=tr["filter.manage"],
                                         id="manage-filters")),
        rx.dialog.content(
            rx.dialog.title(tr["filter.manage"]),
            rx.vstack(
                rx.foreach(S.editable_filters, row),
                rx.cond(S.editable_filters.length() == 0,
                        rx.text(tr["filter.none_editable"], size="2", color_scheme="gray")),
                spacing="2", width="100%", id="saved-filters-list"),
            rx.hstack(rx.dialog.close(rx.button(tr["common.close"], variant="soft", color_scheme="gray")),
                      justify="end", width="100%", margin_top="1rem"),
            max_width="520px",
        ),
    )


def _columns_dialog() -> rx.Component:
    tr = AuthState.tr

    def item(col: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.checkbox(checked=S.draft_columns.contains(col["key"]),
                        on_change=lambda c: S.toggle_column(col["key"], c)),
            rx.text(col["label"], size="2"),
            rx.spacer(),
            rx.cond(S.draft_columns.contains(col["key"]),
                    rx.hstack(
                        rx.icon_button(rx.icon("chevron-up", size=12), size="1", variant="ghost",
                                       on_click=S.move_column(col["key"], -1), aria_label="Lên"),
                        rx.icon_button(rx.icon("chevron-down", size=12), size="1", variant="ghost",
                                       on_click=S.move_column(col["key"], 1), aria_label="Xuống"),
                    )),
            width="100%", align="center",
        )

    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("columns-3", size=14), tr["list.columns"], variant="soft",
                                    on_click=S.start_column_edit, id="columns-button")),
        rx.dialog.content(
            rx.dialog.title(tr["columns.title"]),
            rx.text(rx.foreach(S.draft_columns, lambda c, i: rx.text.span(
                rx.cond(i > 0, " · ", ""), S.column_labels[c])), size="1", color_scheme="gray"),
            rx.scroll_area(rx.vstack(rx.foreach(S.available_columns, item), spacing="1"),
                           max_height="50vh", padding_y="0.5rem"),
            rx.hstack(
                rx.button(tr["columns.reset"], variant="ghost", on_click=S.reset_columns),
                rx.spacer(),
                rx.cond(AuthState.is_admin,
                        rx.dialog.close(rx.button(tr["columns.default"], variant="outline",
                                                  on_click=S.save_columns(True)))),
                rx.dialog.close(rx.button(tr["columns.mine"], on_click=S.save_columns(False))),
                width="100%",
            ),
            max_width="520px",
        ),
    )


def _bulk_bar() -> rx.Component:
    tr = AuthState.tr
    return rx.cond(
        S.selected.length() > 0,
        rx.hstack(
            rx.text(S.selected_label, weight="medium", size="2"),
            rx.select.root(
                rx.select.trigger(placeholder=tr["list.assign"]),
                rx.select.content(rx.foreach(S.users, lambda u: rx.select.item(
                    u["full_name"] + " (" + u["username"] + ")", value=u["username"]))),
                value="", on_change=S.bulk_assign, size="1",
            ),
            rx.select.root(
                rx.select.trigger(placeholder=tr["list.change_status"]),
                rx.select.content(rx.foreach(S.statuses, lambda s: rx.select.item(s, value=s))),
                value="", on_change=S.bulk_status, size="1",
            ),
            rx.cond(AuthState.is_admin, confirm_dialog(
                rx.button(rx.icon("trash-2", size=14), tr["list.delete"], color_scheme="red", variant="soft", size="1"),
                tr["list.delete"], S.delete_confirm_text, tr["list.delete"], S.bulk_delete)),
            padding="0.5rem 0.75rem", background=rx.color("accent", 3), border_radius="6px",
            align="center", width="100%", id="bulk-bar", wrap="wrap",
        ),
    )


def _pagination() -> rx.Component:
    tr = AuthState.tr

    def number(n: rx.Var) -> rx.Component:
        return rx.cond(
            n == "…", rx.text("…", size="2", color_scheme="gray"),
            rx.button(n, size="1", min_width="2rem", class_name="page-number",
                      variant=rx.cond(n == S.page.to_string(), "solid", "soft"),
                      on_click=S.go_to_page(n.to(int)), aria_label=tr["list.go_to_page"] + " " + n,
                      aria_current=rx.cond(n == S.page.to_string(), "page", "false")))

    return rx.flex(
        rx.text(S.range_label, size="2", color_scheme="gray", id="range-label"),
        rx.spacer(),
        rx.hstack(
            rx.text(tr["list.page_size"], size="2", color_scheme="gray"),
            rx.select(["25", "50", "100"], value=S.page_size.to_string(), on_change=S.set_page_size, size="1"),
            align="center", spacing="2"),
        rx.hstack(
            rx.button(rx.icon("chevron-left", size=14), tr["list.prev"], size="1", variant="soft",
                      disabled=~S.has_prev, on_click=S.go_to_page(S.page - 1), id="page-prev"),
            rx.foreach(S.page_numbers, number),
            rx.button(tr["list.next"], rx.icon("chevron-right", size=14), size="1", variant="soft",
                      disabled=~S.has_next, on_click=S.go_to_page(S.page + 1), id="page-next"),
            align="center", spacing="1", wrap="wrap", id="page-numbers"),
        rx.form(
            rx.hstack(
                rx.input(name="page", type="number", min="1", size="1", width="4.5rem", id="go-to-page",
                         placeholder=S.page.to_string(), aria_label=tr["list.go_to_page"]),
                rx.button(tr["list.go_to_page"], size="1", variant="outline", type="submit", id="go-to-page-button"),
                align="center", spacing="1"),
            on_submit=S.go_to_typed_page, reset_on_submit=True,
        ),
        align="center", width="100%", wrap="wrap", gap="0.5rem 1rem",
    )


@crm_page(routes.RAW_LEADS, "Khách hàng Thô", on_load=S.load)
def raw_leads() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(
            tr["page.raw_leads.title"],
            rx.button(rx.icon("file-down", size=14), tr["list.export"], variant="soft", on_click=S.export,
                      id="export-button"),
            rx.link(rx.button(rx.icon("upload", size=14), tr["list.import"], variant="outline"),
                    href=routes.RAW_LEAD_IMPORT),
            rx.link(rx.button(rx.icon("plus", size=14), tr["list.add"]), href=routes.RAW_LEAD_NEW,
                    id="add-raw-lead"),
        ),
        rx.hstack(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=tr["list.search"],
                     value=S.search, on_change=S.set_search.debounce(300), width="100%", max_width="340px",
                     id="search"),
            rx.select.root(
                rx.select.trigger(placeholder=tr["list.saved_filters"], id="saved-filter"),
                rx.select.content(
                    rx.select.item(tr["list.all"], value=NO_FILTER),
                    rx.foreach(S.saved_filters, lambda f: rx.select.item(
                        rx.cond(f["shared"] != "", "★ " + f["name"], f["name"]), value=f["id"])),
                ),
                value=S.active_filter, on_change=S.choose_filter,
            ),
            _filters_dialog(),
            _filter_popover(),
            rx.cond(S.import_job != "", rx.badge(
                AuthState.tr["list.import_filter"], " #", S.import_job,
                rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", on_click=S.clear_import_filter,
                               aria_label=AuthState.tr["list.import_filter_clear"]),
                size="2", variant="surface", id="import-filter")),
            _columns_dialog(),
            align="center", wrap="wrap",
        ),
        _bulk_bar(),
        rx.cond(
            S.rows.length() > 0,
            data_table(rows=S.rows, columns=S.table_columns, labels=S.column_labels, sort=S.sort,
                       descending=S.descending, on_sort=S.sort_by, selected=S.selected,
                       all_selected=S.all_selected, on_toggle_row=S.toggle_row,
                       on_toggle_all=S.toggle_all, link_for=routes.raw_lead,
                       name_label=tr["list.name"], table_id="raw-leads-table"),
            rx.center(rx.vstack(rx.icon("inbox", size=32, color=rx.color("gray", 8)),
                                rx.text(tr["list.empty"], weight="medium"),
                                rx.text(tr["list.empty_hint"], size="2", color_scheme="gray"),
                                align="center"),
                      padding="3rem", width="100%", id="empty-state"),
        ),
        _pagination(),
        width="100%", spacing="3",
    )
