"""Lead module: the list (the raw-lead table component) and the detail with its raw lead."""

import reflex as rx

from crm_app import routes
from crm_app.components.care_panel import care_panel
from crm_app.components.confirm import merged_badge
from crm_app.components.data_table import data_table
from crm_app.components.drop_zone import draggable_attrs, drop_zone
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.care import CareState
from crm_app.state.leads import LeadDetailState as D
from crm_app.state.leads import LeadListState as S


def _card(card: rx.Var) -> rx.Component:
    return rx.card(rx.vstack(
        rx.link(rx.cond(card["name"] != "", card["name"], "(—)"), href=routes.lead(card["id"]),
                weight="medium", size="2"),
        rx.cond(card["company"] != "", rx.text(card["company"], size="1", color_scheme="gray")),
        rx.text(card["phone"] + " · " + card["owner"], size="1", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(placeholder=AuthState.tr["pipeline.move_to"], width="100%", class_name="card-move"),
            rx.select.content(rx.foreach(S.stages, lambda st: rx.select.item(st, value=st))),
            value="", on_change=lambda stage: S.move(card["id"], stage), size="1"),
        spacing="1", width="100%"), size="1", width="100%", class_name="board-card", cursor="grab",
        **draggable_attrs(card["id"]))


def _stage(column: rx.Var) -> rx.Component:
    """A stage column; a card dropped on it moves there (the service checks the user's rights)."""
    color = rx.match(column["meaning"], ("won", "green"), ("lost", "red"), "blue")
    return drop_zone(rx.vstack(
        rx.hstack(rx.text(column["stage"].to(str), weight="bold", size="2"),
                  rx.badge(column["count"].to(str), color_scheme=color), align="center"),
        rx.foreach(column["cards"].to(list[dict[str, str]]), _card),
        rx.cond(column["more"] != "", rx.text(column["more"].to(str), size="1", color_scheme="gray")),
        width="100%", spacing="2"),
        on_drop=lambda lead_id: S.move(lead_id, column["stage"].to(str)).prevent_default,
        min_width="230px", width="230px", min_height="120px", padding="0.5rem", border_radius="8px",
        background=rx.color("gray", 2), border_top=rx.match(column["meaning"], ("won", "3px solid var(--green-9)"),
                                                             ("lost", "3px solid var(--red-9)"),
                                                             "3px solid var(--accent-9)"),
        style={"&[data-drag-over]": {"background": rx.color("accent", 4),
                                     "outline": f"2px dashed {rx.color('accent', 8)}"}},
        class_name="board-column")


@crm_page(routes.LEADS, "Lead", on_load=S.load)
def leads() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["page.leads.title"],
                    rx.segmented_control.root(
                        rx.segmented_control.item(tr["pipeline.list"], value="list"),
                        rx.segmented_control.item(tr["pipeline.board"], value="board"),
                        value=S.view, on_change=S.set_view, id="lead-view")),
        rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder=tr["list.search"], value=S.search,
                 on_change=S.set_search.debounce(300), width="340px", max_width="100%", id="lead-search"),
        rx.cond(S.view == "board",
                rx.box(rx.hstack(rx.foreach(S.board, _stage), align="start", spacing="3"),
                       width="100%", overflow_x="auto", id="lead-board", padding_bottom="0.5rem"),
                rx.cond(S.rows.length() > 0,
                        data_table(rows=S.rows, columns=S.columns, labels=S.labels, sort=S.sort,
                                   descending=S.descending, on_sort=S.sort_by, selected=S.selected,
                                   all_selected=False, on_toggle_row=S.toggle_row, on_toggle_all=S.toggle_all,
                                   link_for=routes.lead, name_label=tr["list.name"], table_id="leads-table"),
                        rx.center(rx.text(tr["list.empty"], color_scheme="gray"), padding="3rem", width="100%"))),
        rx.text(S.total.to_string() + " Lead", size="2", color_scheme="gray"),
        width="100%", spacing="3",
    )


@crm_page(routes.LEAD_PAGE, "Lead", on_load=[D.load, CareState.load])
def lead_detail() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), tr["page.leads.title"], align="center"), href=routes.LEADS,
                size="2"),
        rx.hstack(rx.heading(D.title, size="6", id="lead-title"), rx.badge(D.status, size="2"),
                  merged_badge(D),
                  rx.cond(D.raw_lead_id > 0, rx.link(tr["lead.from_raw"] + " #" + D.raw_lead_id.to_string(),
                                                     href=routes.raw_lead(D.raw_lead_id),
                                                     id="lead-raw-link")),
                  rx.spacer(),
                  rx.link(rx.button(rx.icon("pencil", size=14), tr["detail.edit"], variant="soft"),
                          href=routes.lead_edit(D.lead_id), id="lead-edit"),
                  align="center", spacing="3", width="100%", wrap="wrap"),
        rx.grid(
            rx.vstack(
                rx.card(rx.grid(rx.foreach(D.items, lambda it: rx.vstack(
                    rx.text(it["label"], size="1", color_scheme="gray"),
                    rx.text(rx.cond(it["value"] != "", it["value"], "—"), size="2", overflow_wrap="anywhere"),
                    spacing="0")),
                    columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"), width="100%"),
                rx.card(rx.vstack(
                    rx.heading(tr["form.section.description"], size="3"),
                    rx.text(rx.cond(D.description != "", D.description, "—"), size="2", white_space="pre-wrap",
                            id="lead-description"),
                    width="100%"), width="100%"),
                spacing="3", width="100%"),
            rx.vstack(rx.cond(D.merged_into == "", care_panel()), rx.card(rx.vstack(
                rx.heading(tr["detail.timeline"], size="3"),
                rx.foreach(D.events, lambda e: rx.vstack(
                    rx.text(rx.text.strong(e["who"]), " ", e["action"],
                            rx.cond(e["source"] != "", " · " + e["source"], ""), size="2"),
                    rx.cond(e["changes"] != "", rx.text(e["changes"], size="1")),
                    rx.text(e["when"], size="1", color_scheme="gray"), spacing="0")),
                spacing="3", id="timeline"), width="100%"), spacing="3", width="100%"),
            columns=rx.breakpoints(initial="1", lg="3fr 1fr"), spacing="4", width="100%"),
        width="100%", spacing="3",
    )
