"""Tổng quan: where raw leads come from, how fast they convert, who holds them."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.fields import DEFAULT_PICKLISTS
from crm_app.services.channels.registry import INPUT_SOURCES
from crm_app.state.auth import AuthState
from crm_app.state.dashboard import ALL
from crm_app.state.dashboard import DashboardState as S

# A bar for every Nguồn input a record can carry: the picklist's defaults (manual entry, import)
# and whatever a registered channel writes (a form's label, Messenger) even if not in the picklist.
CHANNELS = tuple(dict.fromkeys((*DEFAULT_PICKLISTS["input_source"], *INPUT_SOURCES)))
COLORS = ("#2563eb", "#16a34a", "#0ea5e9", "#a855f7", "#f97316", "#eab308", "#ef4444", "#14b8a6", "#ec4899",
          "#64748b")


def _card(label: rx.Var, value: rx.Var, href: rx.Var | str, test_id: str) -> rx.Component:
    return rx.link(rx.card(rx.vstack(rx.text(label, size="2", color_scheme="gray"),
                                     rx.heading(value, size="7", id=test_id), spacing="1"),
                           _hover={"border_color": rx.color("accent", 8)}),
                   href=href, underline="none", flex="1", min_width="200px")


def _import_row(job: rx.Var) -> rx.Component:
    """One import: its records in the list, its counts, and its skipped/failed rows to download."""
    tr = AuthState.tr
    return rx.vstack(
        rx.hstack(rx.link("#", job["id"], " ", job["file"], href=job["records"], size="2", weight="medium",
                          title=tr["dash.import.records"], class_name="import-records"),
                  rx.spacer(), rx.text(job["user"], size="1", color_scheme="gray"), width="100%"),
        rx.hstack(
            rx.text(tr["wizard.created"], " ", job["created"], " · ", tr["wizard.overwritten"], " ",
                    job["overwritten"], " · ", tr["wizard.merged"], " ", job["merged"], size="1",
                    color_scheme="gray"),
            rx.cond(job["skipped_file"] != "",
                    rx.link(tr["wizard.skipped"], " ", job["skipped"], href=job["files"] + "skipped", size="1",
                            is_external=True, color_scheme="amber"),
                    rx.text(tr["wizard.skipped"], " ", job["skipped"], size="1", color_scheme="gray")),
            rx.cond(job["failed_file"] != "",
                    rx.link(tr["wizard.failed"], " ", job["failed"], href=job["files"] + "failed", size="1",
                            is_external=True, color_scheme="red"),
                    rx.text(tr["wizard.failed"], " ", job["failed"], size="1", color_scheme="gray")),
            spacing="2", wrap="wrap"),
        spacing="0", width="100%", padding_y="4px", border_bottom=f"1px solid {rx.color('gray', 4)}")


def _controls() -> rx.Component:
    tr = AuthState.tr
    return rx.hstack(
        rx.hstack(*[rx.button(tr[f"dash.preset.{p}"], size="1", id=f"preset-{p}", on_click=S.set_preset(p),
                              variant=rx.cond(S.preset == p, "solid", "soft"))
                    for p in ("today", "7d", "30d", "custom")], spacing="1"),
        rx.cond(S.preset == "custom", rx.hstack(
            rx.input(type="date", value=S.custom_start, on_change=lambda v: S.set_custom("start", v)),
            rx.input(type="date", value=S.custom_end, on_change=lambda v: S.set_custom("end", v)))),
        rx.cond(AuthState.is_admin, rx.select.root(
            rx.select.trigger(),
            rx.select.content(rx.select.item(tr["dash.everyone"], value=ALL),
                              rx.foreach(S.users, lambda u: rx.select.item(u["label"], value=u["id"]))),
            value=S.scope, on_change=S.set_scope)),
        wrap="wrap", align="center", spacing="3")


def _per_day_chart() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.recharts.bar_chart(
            *[rx.recharts.bar(data_key=ch, stack_id="a", fill=COLORS[i % len(COLORS)], cursor="pointer",
                              on_click=S.open_channel(ch)) for i, ch in enumerate(CHANNELS)],
            rx.recharts.x_axis(data_key="day"), rx.recharts.y_axis(allow_decimals=False, width=40),
            rx.recharts.tooltip(), rx.recharts.legend(),
            data=S.chart_days, height=300, width="100%",
        ),
        # Imports are their own series the user shows or hides (hidden when they would flatten the rest).
        rx.hstack(
            rx.switch(checked=~S.imports_hidden, on_change=S.set_show_imports, id="show-imports"),
            rx.el.label(tr["dash.show_imports"], html_for="show-imports", style={"fontSize": "14px"}),
            rx.cond(S.imports_hidden_label != "", rx.text(S.imports_hidden_label, size="1", color_scheme="gray",
                                                          id="imports-hidden-note")),
            align="center", wrap="wrap", spacing="2"),
        width="100%", spacing="2",
    )


def _funnel() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.foreach(S.funnel, lambda f: rx.link(rx.hstack(
            rx.text(f["channel"], size="2", width=rx.breakpoints(initial="90px", md="150px"), flex_shrink="0"),
            rx.box(rx.box(width=f["width"], height="10px", background=rx.color("green", 9), border_radius="4px"),
                   flex="1", background=rx.color("gray", 4), border_radius="4px"),
            rx.text(f["converted"], "/", f["raw_leads"], " · ", f["rate"], size="2", white_space="nowrap",
                    text_align="right"),
            width="100%", align="center"), href=f["link"], underline="none", width="100%")),
        rx.cond(S.funnel.length() == 0, rx.text(tr["common.empty"], size="2", color_scheme="gray")),
        width="100%", spacing="2")


def _open_per_user() -> rx.Component:
    return rx.vstack(
        rx.recharts.bar_chart(rx.recharts.bar(data_key="open", fill="#2563eb"), rx.recharts.x_axis(data_key="user"),
                              rx.recharts.y_axis(allow_decimals=False), rx.recharts.tooltip(),
                              data=S.open_chart, height=220, width="100%"),
        rx.hstack(rx.foreach(S.open_links, lambda u: rx.link(rx.badge(u["label"]), href=u["link"])), wrap="wrap"),
        width="100%")


def _ads() -> rx.Component:
    """Ad leads per campaign and lead form (Lead Ads, ad-lead connectors)."""
    tr = AuthState.tr
    return rx.vstack(
        rx.foreach(S.ads, lambda a: rx.link(rx.hstack(
            rx.vstack(rx.text(a["campaign"], size="2", weight="medium"),
                      rx.text(a["form"], size="1", color_scheme="gray"), spacing="0", flex="1", min_width="0"),
            rx.text(a["leads"], "/", a["records"], size="2", text_align="right", white_space="nowrap"),
            width="100%", align="center"), href=a["link"], underline="none", width="100%")),
        rx.cond(S.ads.length() == 0, rx.text(tr["common.empty"], size="2", color_scheme="gray")),
        width="100%", spacing="2", id="dash-ads")


def _section(title: rx.Var, body: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), body, width="100%", spacing="3"), width="100%")


@crm_page(routes.HOME, "Tổng quan", on_load=S.load)
def dashboard() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["dash.title"], _controls()),
        rx.hstack(
            _card(tr["dash.today"], S.arrivals_today.to_string(), S.today_link, "card-today"),
            _card(tr["dash.conversion"], S.conversion_rate, S.converted_link, "card-conversion"),
            rx.cond(S.failing_events >= 0,
                    _card(tr["dash.failing"], S.failing_events.to_string(), routes.SETTINGS_CHANNELS, "card-failing")),
            width="100%", wrap="wrap", spacing="3"),
        _section(tr["dash.per_day"], _per_day_chart()),
        rx.grid(
            _section(tr["dash.funnel"], _funnel()),
            _section(tr["dash.open_per_user"], _open_per_user()),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%"),
        rx.grid(
            _section(tr["dash.median"], rx.vstack(rx.foreach(S.medians, lambda m: rx.hstack(
                rx.text(m["channel"], size="2"), rx.spacer(), rx.text(m["hours"], size="2", weight="bold"),
                width="100%")), rx.cond(S.medians.length() == 0, rx.text(tr["common.empty"], size="2",
                                                                          color_scheme="gray")), width="100%")),
            _section(tr["dash.imports"], rx.vstack(rx.foreach(S.imports, _import_row),
                                                   rx.cond(S.imports.length() == 0, rx.text(
                                                       tr["common.empty"], size="2", color_scheme="gray")),
                                                   width="100%")),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%"),
        _section(tr["dash.ads"], _ads()),
        width="100%", spacing="4",
    )
