"""Raw-lead detail: all fields by section, edit, delete, convert, and the activity timeline."""

import reflex as rx

from crm_app import routes
from crm_app.components.care_panel import care_panel
from crm_app.components.confirm import confirm_dialog, merged_badge
from crm_app.components.shell import crm_page
from crm_app.state.auth import AuthState
from crm_app.state.care import CareState
from crm_app.state.raw_lead_detail import RawLeadDetailState as S


def _section(title: rx.Var, items: rx.Var) -> rx.Component:
    def item(it: rx.Var) -> rx.Component:
        return rx.vstack(rx.text(it["label"], size="1", color_scheme="gray"),
                         rx.text(rx.cond(it["value"] != "", it["value"], "—"), size="2", overflow_wrap="anywhere"),
                         spacing="0")

    return rx.cond(items.length() > 0, rx.card(rx.vstack(
        rx.heading(title, size="3"),
        rx.grid(rx.foreach(items, item), columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"),
        width="100%"), width="100%"))


def _timeline() -> rx.Component:
    def event(e: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.box(width="8px", height="8px", border_radius="50%", background=rx.color("accent", 9), margin_top="6px"),
            rx.vstack(
                rx.text(rx.text.strong(e["who"]), " ", e["action"],
                        rx.cond(e["link"] != "", rx.fragment(" · ", rx.link(e["source"], href=e["link"],
                                                                            class_name="timeline-import")),
                                rx.cond(e["source"] != "", " · " + e["source"], "")), size="2"),
                rx.cond(e["changes"] != "", rx.text(e["changes"], size="1")),
                rx.text(e["when"], size="1", color_scheme="gray"),
                spacing="0"),
            align="start")

    return rx.card(rx.vstack(rx.heading(AuthState.tr["detail.timeline"], size="3"),
                             rx.cond(S.events.length() > 0, rx.foreach(S.events, event),
                                     rx.text(AuthState.tr["common.empty"], size="2", color_scheme="gray")),
                             spacing="3", width="100%", id="timeline"),
                   width="100%")


@crm_page(routes.RAW_LEAD_PAGE, "KH thô", on_load=[S.load, CareState.load])
def raw_lead_detail() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), tr["detail.back"], align="center"), href=routes.RAW_LEADS,
                size="2"),
        rx.hstack(
            rx.heading(S.title, size="6", id="detail-title"),
            rx.badge(S.status, size="2", id="detail-status"),
            merged_badge(S),
            rx.cond(S.converted_lead_id > 0, rx.link(
                rx.badge(rx.icon("external-link", size=12), S.converted_label, color_scheme="green", size="2"),
                href=routes.lead(S.converted_lead_id), id="converted-link")),
            rx.spacer(),
            rx.cond(S.converted_lead_id == 0,
                    rx.button(rx.icon("arrow-right-left", size=14), tr["detail.convert"], variant="soft",
                              color_scheme="green", on_click=S.convert, id="convert")),
            rx.link(rx.button(rx.icon("pencil", size=14), tr["detail.edit"], variant="soft"),
                    href=routes.raw_lead_edit(S.record_id)),
            rx.cond(AuthState.is_admin, confirm_dialog(
                rx.button(rx.icon("trash-2", size=14), tr["detail.delete"], color_scheme="red", variant="soft"),
                tr["detail.delete"], tr["detail.delete_confirm"], tr["detail.delete"], S.delete)),
            align="center", width="100%", wrap="wrap",
        ),
        rx.grid(
            rx.vstack(
                _section(tr["form.section.contact"], S.contact),
                _section(tr["form.section.address"], S.address),
                _section(tr["form.section.description"], S.description),
                _section(tr["form.section.management"], S.management),
                _section(tr["form.section.custom"], S.custom),
                spacing="3", width="100%"),
            rx.vstack(rx.cond(S.merged_into == "", care_panel()), _timeline(), spacing="3", width="100%"),
            columns=rx.breakpoints(initial="1", lg="3fr 1fr"), spacing="4", width="100%",
        ),
        width="100%", spacing="3",
    )
