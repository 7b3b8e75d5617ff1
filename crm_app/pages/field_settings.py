"""Cấu hình hệ thống → Trường & danh sách chọn (admins)."""

import reflex as rx

from crm_app import routes
from crm_app.components.settings_nav import settings_nav
from crm_app.components.shell import crm_page, page_header
from crm_app.fields import STATUS_MEANINGS
from crm_app.services.field_settings import CUSTOM_TYPES
from crm_app.state.auth import AuthState
from crm_app.state.field_settings import FieldSettingsState as S


def _meaning_select(trigger_id: str = "", **props: object) -> rx.Component:
    """Open / converted / closed: what a status value means for the counts (services/statuses.py)."""
    tr = AuthState.tr
    return rx.select.root(
        rx.select.trigger(aria_label=tr["fields.meaning"], class_name="meaning",
                          **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(*[rx.select.item(tr[f"fields.meaning.{m}"], value=m) for m in STATUS_MEANINGS]),
        **props)


def _value_row(v: rx.Var) -> rx.Component:
    tr = AuthState.tr
    fixed = v["value"] == "Không xác định"
    return rx.hstack(
        rx.input(default_value=v["value"], on_blur=lambda text: S.rename_value(v["id"], text), disabled=fixed,
                 width="260px", key=v["id"] + v["value"]),
        rx.cond(fixed, rx.badge("cố định", color_scheme="gray"), rx.hstack(
            rx.icon_button(rx.icon("chevron-up", size=12), size="1", variant="ghost",
                           on_click=S.move_value(v["id"], -1), aria_label="Lên"),
            rx.icon_button(rx.icon("chevron-down", size=12), size="1", variant="ghost",
                           on_click=S.move_value(v["id"], 1), aria_label="Xuống"),
            rx.switch(checked=v["active"] != "", on_change=lambda c: S.set_value_active(v["id"], c)),
            rx.text(rx.cond(v["active"] != "", tr["common.active"], tr["common.inactive"]), size="1"),
            rx.cond(S.picklist_field == "status",
                    _meaning_select(value=v["meaning"], on_change=lambda m: S.set_meaning(v["id"], m))),
            align="center")),
        # A status row wraps onto two lines in a half-width card: the rule keeps each value's
        # controls visibly with it.
        align="center", wrap="wrap", width="100%", padding_bottom="0.5em",
        border_bottom="1px solid var(--gray-a4)",
    )


@crm_page(routes.SETTINGS_FIELDS, "Trường & danh sách chọn", admin=True, on_load=S.load)
def field_settings() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        rx.grid(
            rx.card(rx.vstack(
                rx.heading(tr["fields.picklists"], size="4"),
                rx.select.root(rx.select.trigger(),
                               rx.select.content(rx.foreach(S.picklist_fields,
                                                            lambda f: rx.select.item(f["label"], value=f["key"]))),
                               value=S.picklist_field, on_change=S.choose_field),
                rx.foreach(S.values, _value_row),
                rx.cond(S.picklist_field == "status",
                        rx.text(tr["fields.meaning_help"], size="1", color_scheme="gray")),
                rx.form(rx.hstack(rx.input(name="value", placeholder=tr["fields.add_value"], width="260px",
                                           id="new-value"),
                                  rx.cond(S.picklist_field == "status",
                                          _meaning_select("new-meaning", name="meaning", default_value="open")),
                                  rx.button(rx.icon("plus", size=14), tr["fields.add_value"], type="submit"),
                                  align="center", wrap="wrap"),
                        on_submit=S.add_value, reset_on_submit=True),
                spacing="2")),
            rx.card(rx.vstack(
                rx.heading(tr["fields.custom"], size="4"),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(tr["fields.key"]),
                        rx.table.column_header_cell(tr["fields.label_vi"]),
                        rx.table.column_header_cell(tr["fields.type"]),
                        rx.table.column_header_cell(""))),
                    rx.table.body(rx.foreach(S.custom, lambda c: rx.table.row(
                        rx.table.cell(c["key"]), rx.table.cell(c["label_vi"]), rx.table.cell(c["type"]),
                        rx.table.cell(rx.switch(checked=c["active"] != "",
                                                on_change=lambda on: S.set_custom_active(c["id"], on)))))),
                    width="100%"),
                rx.form(rx.vstack(
                    rx.hstack(rx.input(name="key", placeholder=tr["fields.key"] + " (vd: nganh_nghe)"),
                              rx.select(list(CUSTOM_TYPES), name="type", default_value="text")),
                    rx.hstack(rx.input(name="label_vi", placeholder=tr["fields.label_vi"]),
                              rx.input(name="label_en", placeholder=tr["fields.label_en"])),
                    rx.input(name="options", placeholder="Giá trị chọn, cách nhau bởi dấu phẩy (kiểu picklist)",
                             width="100%"),
                    rx.button(rx.icon("plus", size=14), tr["fields.add_field"], type="submit"),
                    spacing="2", width="100%"),
                    on_submit=S.add_custom_field, reset_on_submit=True, width="100%"),
                spacing="3", width="100%")),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%"),
        width="100%", spacing="4",
    )
