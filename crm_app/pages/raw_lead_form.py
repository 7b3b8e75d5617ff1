"""Thêm KH thô / Sửa KH thô: sections as in the guide; "Lưu" opens the detail view."""

import reflex as rx

from crm_app import routes
from crm_app.components.address_box import address_box
from crm_app.components.field_input import field_input
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.raw_lead_form import RawLeadFormState as S

USER_LIST_ID = "user-options"


def _fields(fields: rx.Var) -> rx.Component:
    def one(field: rx.Var) -> rx.Component:
        key = field["key"].to(str)
        return field_input(field, value=S.values.get(key, ""), error=S.errors.get(key, ""),
                           options=S.picklists.get(key, []), user_list_id=USER_LIST_ID,
                           on_blur=S.check_duplicates, choose_label=AuthState.tr["form.choose"])

    return rx.grid(rx.foreach(fields, one), columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%")


def _section(title: rx.Var, fields: rx.Var) -> rx.Component:
    return rx.cond(fields.length() > 0, rx.card(
        rx.vstack(rx.heading(title, size="3"), _fields(fields), spacing="3", width="100%"), width="100%"))


def _form() -> rx.Component:
    tr = AuthState.tr
    return rx.form(
        rx.vstack(
            rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                   width="100%", id="form-error", role="alert")),
            rx.cond(S.duplicates.length() > 0, rx.callout(
                rx.vstack(
                    rx.text(tr["raw_lead.duplicate_warning"]),
                    rx.foreach(S.duplicates, lambda d: rx.link(
                        d["name"] + " · " + d["mobile"] + " " + d["email"], href=routes.raw_lead(d["id"]),
                        is_external=False)),
                    spacing="1"),
                icon="copy", color_scheme="amber", width="100%", id="duplicate-warning")),
            _section(tr["form.section.contact"], S.contact_fields),
            rx.card(rx.vstack(
                rx.heading(tr["form.section.address"], size="3"),
                address_box(fields=S.address_fields, values=S.address, suggestions=S.suggestions,
                            highlight=S.highlight, on_type=S.type_street, on_key=S.address_key,
                            on_pick=S.pick_suggestion, on_change=S.set_address_field,
                            on_close=S.close_suggestions, hint=tr["form.address_hint"],
                            after_2025=S.address_2025, tr=tr),
                spacing="3", width="100%"), width="100%"),
            _section(tr["form.section.description"], S.description_fields),
            _section(tr["form.section.management"], S.management_fields),
            _section(tr["form.section.custom"], S.custom_fields),
            rx.el.datalist(rx.foreach(S.users, lambda u: rx.el.option(u["full_name"], value=u["username"])),
                           id=USER_LIST_ID),
            rx.hstack(
                rx.text(tr["form.required_hint"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.link(rx.button(tr["common.cancel"], variant="soft", color_scheme="gray", type="button"),
                        href=S.cancel_href),
                rx.button(rx.icon("save", size=14), tr["common.save"], type="submit", id="save"),
                width="100%", align="center",
            ),
            spacing="4", width="100%", max_width="1000px",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        key=S.form_key.to_string(),
    )


@crm_page(routes.RAW_LEAD_NEW, "Thêm KH thô", on_load=S.load)
def raw_lead_new() -> rx.Component:
    return rx.vstack(page_header(AuthState.tr["form.new_title"]), _form(), width="100%")


@crm_page(routes.RAW_LEAD_EDIT_PAGE, "Sửa KH thô", on_load=S.load)
def raw_lead_edit() -> rx.Component:
    return rx.vstack(page_header(AuthState.tr["form.edit_title"]), _form(), width="100%")


@crm_page(routes.LEAD_EDIT_PAGE, "Sửa Lead", on_load=S.load)
def lead_edit() -> rx.Component:
    return rx.vstack(page_header(AuthState.tr["form.edit_lead_title"]), _form(), width="100%")
