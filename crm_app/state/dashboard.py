"""State of the overview dashboard: the period, the scope, and the figures the service computed."""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.fields import INPUT_IMPORT
from crm_app.models import User
from crm_app.services import auth, clock, dashboard
from crm_app.services.auth import Actor
from crm_app.services.dashboard import DashboardQuery
from crm_app.services.field_values import parse_date
from crm_app.state.auth import AuthState, logged_in, read

ALL = "all"


def _figures(session: Session, actor: Actor, query: DashboardQuery
             ) -> tuple[dashboard.Dashboard, list[User], dict[str, str]]:
    """The figures, the active users (for an admin's scope menu) and every username's id."""
    active = auth.list_users(session=session, active_only=True) if actor.is_admin else []
    ids = {u.username: str(u.id) for u in auth.list_users(session=session)}
    return dashboard.compute(session, actor, query), active, ids


class DashboardState(AuthState):
    preset: str = "30d"
    custom_start: str = ""
    custom_end: str = ""
    scope: str = ALL
    users: list[dict[str, str]] = []
    start: str = ""
    end: str = ""
    today: str = ""  # ISO, the organisation's local date (services/clock.py)
    scope_applied: str = ""  # the owner the figures were limited to ("" = everyone)
    per_day: list[dict[str, int | str]] = []
    funnel: list[dict[str, str]] = []
    open_chart: list[dict[str, int | str]] = []
    open_links: list[dict[str, str]] = []
    medians: list[dict[str, str]] = []
    arrivals_today: int = 0
    conversion_rate: str = "0%"
    failing_events: int = -1
    imports: list[dict[str, str]] = []
    show_imports: str = ""  # the user's choice for the chart's import series: "1", "0", "" (automatic)
    ads: list[dict[str, str]] = []

    def _list_link(self, **params: str) -> str:
        base = {"from": self.start, "to": self.end}
        if self.scope_applied:
            base["assigned_to"] = self.scope_applied
        return routes.raw_lead_list(**{**base, **params})

    @rx.var
    def today_link(self) -> str:
        # The scope the count used (a user's own records), so the list shows what was counted.
        base = {"from": self.today, "to": self.today}
        if self.scope_applied:
            base["assigned_to"] = self.scope_applied
        return routes.raw_lead_list(**base)

    @rx.var
    def converted_link(self) -> str:
        return self._list_link(converted="1")

    @rx.var
    def imports_hidden(self) -> bool:
        """One big import day flattened every other bar (6 of 112 taller than 3 px): unless the user
        chose, records imported from files are left out of the chart when their busiest day is more
        than three times the busiest day of every other channel together."""
        if self.show_imports:
            return self.show_imports == "0"
        imported = max((int(r.get(INPUT_IMPORT, 0) or 0) for r in self.per_day), default=0)
        others = max((sum(int(v or 0) for k, v in r.items() if k not in ("day", INPUT_IMPORT))
                      for r in self.per_day), default=0)
        return imported > 3 * max(others, 1)

    @rx.var
    def chart_days(self) -> list[dict[str, int | str]]:
        if not self.imports_hidden:
            return self.per_day
        return [{k: v for k, v in r.items() if k != INPUT_IMPORT} for r in self.per_day]

    @rx.var
    def imports_hidden_label(self) -> str:
        count = sum(int(r.get(INPUT_IMPORT, 0) or 0) for r in self.per_day)
        return self._t("dash.imports_hidden", count=count) if self.imports_hidden and count else ""

    @rx.event
    def set_show_imports(self, checked: bool) -> None:
        self.show_imports = "1" if checked else "0"

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        today = clock.today(await read(clock.zone))
        if self.preset == "custom":
            start = parse_date(self.custom_start) or today
            end = parse_date(self.custom_end) or today
            # The service refuses an inverted or over-long range: order it and keep the last year.
            start, end = min(start, end), max(start, end)
            start = max(start, end - timedelta(days=dashboard.MAX_DAYS - 1))
        else:
            start, end = dashboard.range_for(self.preset, today)
        scope = int(self.scope) if actor.is_admin and self.scope.isdigit() else None
        figures, active, ids = await read(_figures, actor, DashboardQuery(start=start, end=end, user_id=scope))
        if actor.is_admin and not self.users:
            self.users = [{"id": str(u.id), "label": f"{u.full_name} ({u.username})"} for u in active]
        self.start, self.end, self.today = figures.start, figures.end, figures.today
        self.scope_applied = "" if figures.user_id is None else str(figures.user_id)
        self.per_day = [{**row, "day": date.fromisoformat(str(row["day"])).strftime("%d/%m")}
                        for row in figures.per_day]
        self.funnel = [{"channel": f["channel"], "raw_leads": str(f["raw_leads"]), "converted": str(f["converted"]),
                        "rate": f"{100 * f['rate']:.0f}%", "width": f"{max(2, 100 * f['rate']):.0f}%",
                        "link": self._list_link(input_source=f["channel"])} for f in figures.funnel]
        self.open_chart = [{"user": u["user"], "open": u["open"]} for u in figures.open_per_user]
        self.open_links = [
            {"label": f"{u['user']}: {u['open']}",
             # The bar counts the period's arrivals that are still open: the list gets the same period.
             "link": self._list_link(assigned_to=ids.get(u["username"], ""), open="1")}
            for u in figures.open_per_user]
        self.medians = [{"channel": ch, "hours": f"{hours:.1f} giờ" if hours < 48 else f"{hours / 24:.1f} ngày"}
                        for ch, hours in figures.median_hours.items()]
        self.arrivals_today = figures.arrivals_today
        self.conversion_rate = f"{100 * figures.conversion_rate:.1f}%"
        self.failing_events = -1 if figures.failing_events_24h is None else figures.failing_events_24h
        self.ads = [{"campaign": a["campaign"], "form": a["form"], "records": str(a["records"]),
                     "leads": str(a["leads"]),
                     "link": self._list_link(**({"ad_form_id": a["form_id"]} if a["form_id"] else {}))}
                    for a in figures.ads]
        self.imports = [{**{k: str(v) for k, v in imp.items()},
                         "skipped_file": "1" if imp["skipped_file"] else "",
                         "failed_file": "1" if imp["failed_file"] else "",
                         "records": routes.raw_lead_list(**{"import": imp["id"]}),
                         "files": routes.import_file(imp["id"])} for imp in figures.imports]

    @rx.event
    @logged_in
    async def set_preset(self, actor: Actor, value: str) -> None:
        if value in (*dashboard.PRESETS, "custom"):
            self.preset = value
            await self._load(actor)

    @rx.event
    @logged_in
    async def set_custom(self, actor: Actor, key: str, value: str) -> None:
        if key == "start":
            self.custom_start = value
        elif key == "end":
            self.custom_end = value
        if self.preset == "custom":
            await self._load(actor)

    @rx.event
    @logged_in
    async def set_scope(self, actor: Actor, value: str) -> None:
        self.scope = value if value == ALL or value.isdigit() else ALL
        await self._load(actor)

    @rx.event
    def open_channel(self, channel: str) -> EventSpec:
        return rx.redirect(self._list_link(input_source=channel))
