"""KH thô list."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState


@crm_page(routes.RAW_LEADS, "Khách hàng Thô")
def raw_leads() -> rx.Component:
    return rx.vstack(page_header(AuthState.tr["page.raw_leads.title"]),
                     rx.text(AuthState.tr["common.empty"], color_scheme="gray"))
