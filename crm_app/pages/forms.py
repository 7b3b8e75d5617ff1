"""Cấu hình hệ thống → Web form: the forms that may post leads, their secret and field mapping."""

import reflex as rx

from crm_app import routes
from crm_app.components.settings_nav import settings_nav
from crm_app.components.shell import crm_page, page_header
from crm_app.services.channels.forms import CHANNEL_LABELS
from crm_app.state.auth import AuthState
from crm_app.state.forms import FormsState as S


def _form_card(f: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.card(rx.form(rx.vstack(
        rx.hstack(rx.heading(f["key"], size="3"), rx.code(f["url"]), rx.spacer(),
                  rx.el.label(rx.hstack(rx.checkbox(name="active", default_checked=f["active"] != ""),
                                        rx.text(tr["common.active"], size="2"), align="center")),
                  width="100%", align="center"),
        rx.el.input(type="hidden", name="id", value=f["id"]),
        rx.hstack(rx.text(tr["forms.secret"], size="2", weight="medium"),
                  rx.input(value=f["secret"], read_only=True, width="360px", size="1"),
                  rx.button(rx.icon("refresh-cw", size=12), tr["forms.rotate"], size="1", variant="soft",
                            type="button", on_click=S.rotate(f["id"])),
                  align="center"),
        rx.hstack(rx.text(tr["ticket.channel"], size="2", weight="medium"),
                  rx.select(list(CHANNEL_LABELS), name="channel", default_value=f["channel"], size="1"),
                  align="center"),
        rx.text(tr["forms.mapping"], size="2", weight="medium"),
        rx.text_area(name="mapping", default_value=f["mapping"], rows="3", width="100%",
                     placeholder="so_dien_thoai_khach = mobile\nten = first_name"),
        rx.button(tr["common.save"], type="submit", size="1"),
        spacing="2", width="100%"), on_submit=S.save, reset_on_submit=False), width="100%")


@crm_page(routes.SETTINGS_FORMS, "Web form", admin=True, on_load=S.load)
def forms_page() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.settings.title"]),
        settings_nav(),
        rx.heading(tr["forms.title"], size="5"),
        rx.text(tr["forms.hint"], size="2", color_scheme="gray"),
        rx.form(rx.hstack(rx.input(name="key", placeholder=tr["forms.key"], id="form-key"),
                          rx.select(list(CHANNEL_LABELS), name="channel", default_value="Webform"),
                          rx.button(rx.icon("plus", size=14), tr["forms.add"], type="submit", id="form-add"),
                          align="center"),
                on_submit=S.add, reset_on_submit=True),
        rx.foreach(S.rows, _form_card),
        width="100%", max_width="900px", spacing="3",
    )
