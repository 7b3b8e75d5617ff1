"""Ticket module (list and detail come with the sync-config issue)."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState


@crm_page(routes.TICKETS, "Ticket")
def tickets() -> rx.Component:
    return rx.vstack(page_header(AuthState.tr["page.tickets.title"]),
                     rx.text(AuthState.tr["common.empty"], color_scheme="gray"))
