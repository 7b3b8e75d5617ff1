"""State of the KH thô list: only the visible page, the query and the selection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.fields import picklist_values, raw_lead_fields
from crm_app.i18n import UserError
from crm_app.services import auth, list_settings
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.filters import SORT_COLUMNS, import_job_id, link_conditions
from crm_app.services.raw_leads.query import PAGE_SIZES, ListQuery, list_page
from crm_app.services.raw_leads.records import bulk_assign, bulk_status, delete_records
from crm_app.state.auth import AuthState, logged_in, read, write

NO_FILTER = "__all__"
NAME_COLUMNS = ("last_name", "first_name")  # shown together in the table's name column


def conditions_for_service(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The editable condition rows of the filter bar → the service's condition format."""
    out: list[dict[str, Any]] = []
    for row in rows:
        op = row.get("op", "eq")
        if not row.get("field"):
            continue
        if op == "in":
            value: Any = [v.strip() for v in row.get("value", "").split(",") if v.strip()]
        elif op == "between":
            value = [row.get("value", ""), row.get("value2", "")]
        else:
            value = row.get("value", "")
        out.append({"field": row["field"], "op": op, "value": value})
    return out


def conditions_for_ui(conditions: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for c in conditions:
        value = c.get("value")
        if c.get("op") == "in":
            rows.append({"field": c["field"], "op": "in", "value": ", ".join(value or []), "value2": ""})
        elif c.get("op") == "between":
            start, end = (list(value or []) + ["", ""])[:2]
            rows.append({"field": c["field"], "op": "between", "value": start, "value2": end})
        else:
            rows.append({"field": c["field"], "op": c.get("op", "eq"), "value": str(value or ""), "value2": ""})
    return rows


@dataclass
class _Screen:
    columns: list[str]
    available: list[tuple[str, str]]
    filter_fields: list[dict[str, str]]
    saved_filters: list[dict[str, str]]
    users: list[dict[str, str]]
    statuses: list[str]


def _screen(session: Session, actor: Actor, locale: str) -> _Screen:
    """Everything the list screen shows around its rows: columns, filters, users, statuses."""
    available = list_settings.available_columns(session, locale)
    return _Screen(
        columns=list_settings.columns_for(session, actor),
        available=list(available),
        filter_fields=[{"key": f.key, "label": f.label(locale), "type": f.type} for f in raw_lead_fields(session)]
        + [{"key": key, "label": dict(available)[key], "type": "date"}
           for key in ("created_at", "last_contacted_at", "next_task_at")],
        saved_filters=[{"id": str(f.id), "name": f.name, "shared": "1" if f.owner_id is None else ""}
                       for f in list_settings.list_filters(session, actor)],
        users=[{"username": u.username, "full_name": u.full_name}
               for u in auth.list_users(session=session, active_only=True)],
        statuses=picklist_values(session, "status"))


def _bulk(session: Session, actor: Actor, action: str, ids: list[int], arg: str) -> int:
    if action == "assign":
        return bulk_assign(session, actor, ids, arg)
    if action == "status":
        return bulk_status(session, actor, ids, arg)
    return delete_records(session, actor, ids)


def _save_columns(session: Session, actor: Actor, columns: list[str], as_default: bool) -> None:
    list_settings.save_columns(session, actor, columns, as_default=as_default)
    if as_default:
        list_settings.reset_columns(session, actor)


class RawLeadListState(AuthState):
    rows: list[dict[str, str]] = []
    total: int = 0
    more: bool = False
    page: int = 1
    page_size: int = 50
    search: str = ""
    sort: str = "created_at"
    descending: bool = True
    columns: list[str] = []
    column_labels: dict[str, str] = {}
    available_columns: list[dict[str, str]] = []
    draft_columns: list[str] = []
    conditions: list[dict[str, str]] = []
    saved_filters: list[dict[str, str]] = []
    active_filter: str = NO_FILTER
    filter_drafts: dict[str, str] = {}  # saved filter id → the new name typed in «Quản lý bộ lọc»
    import_job: str = ""  # "12": only the records import #12 created (?import=12)
    filter_fields: list[dict[str, str]] = []
    selected: list[str] = []
    users: list[dict[str, str]] = []
    statuses: list[str] = []
    loading: bool = False

    @rx.var
    def range_label(self) -> str:
        if not self.total:
            return ""
        start = (self.page - 1) * self.page_size + 1
        end = min(self.total, self.page * self.page_size)
        total = f"{self.total:,}".replace(",", ".") + ("+" if self.more else "")
        return self._t("list.range", start=f"{start:,}".replace(",", "."), end=f"{end:,}".replace(",", "."),
                       total=total)

    @rx.var
    def table_columns(self) -> list[str]:
        """The chosen columns beside the name column (which shows Họ and Tên together)."""
        return [c for c in self.columns if c not in NAME_COLUMNS]

    @rx.var
    def last_page(self) -> int:
        """0 when unknown: past the count cap there is no last page to offer."""
        return 0 if self.more else max(1, -(-self.total // self.page_size))

    @rx.var
    def page_numbers(self) -> list[str]:
        """The page buttons: the first, the last and two either side of the current one; "…" between."""
        last = self.last_page or self.page + 2
        wanted = sorted({1, last, *range(max(1, self.page - 2), min(last, self.page + 2) + 1)})
        out: list[str] = []
        previous = 0
        for n in wanted:
            if previous and n - previous > 1:
                out.append("…")
            out.append(str(n))
            previous = n
        return out

    @rx.var
    def editable_filters(self) -> list[dict[str, str]]:
        """The saved filters this user may rename or delete: their own, and shared ones for an admin."""
        return [f for f in self.saved_filters if self.is_admin or not f["shared"]]

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.more or self.page * self.page_size < self.total

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and all(r["id"] in self.selected for r in self.rows)

    @rx.var
    def selected_label(self) -> str:
        return self._t("list.selected", count=len(self.selected))

    @rx.var
    def delete_confirm_text(self) -> str:
        return self._t("list.delete_confirm", count=len(self.selected))

    def _query(self) -> ListQuery:
        return ListQuery(search=self.search, conditions=conditions_for_service(self.conditions),
                         sort=self.sort, descending=self.descending, page=self.page,
                         page_size=self.page_size,
                         import_job_id=import_job_id(self.import_job))

    async def _refresh(self, actor: Actor) -> None:
        """Reload the visible page (a service's UserError reaches the handler's toast)."""
        result = await read(list_page, actor, self._query(), self.columns)
        self.rows, self.total, self.page, self.more = result.rows, result.total, result.page, result.more
        visible = {r["id"] for r in self.rows}
        self.selected = [s for s in self.selected if s in visible]

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)
        self._conditions_from_url()
        await self._refresh(actor)

    async def _load(self, actor: Actor) -> None:
        screen = await read(_screen, actor, self.locale)
        self.columns = screen.columns
        self.available_columns = [{"key": k, "label": v} for k, v in screen.available]
        self.column_labels = dict(screen.available)
        self.filter_fields, self.saved_filters = screen.filter_fields, screen.saved_filters
        self.users, self.statuses = screen.users, screen.statuses
        self.selected = []

    def _conditions_from_url(self) -> None:
        """Links from the dashboard open the list already filtered (?input_source=…&from=…)."""
        params = self.router.url.query_parameters
        job = params.get("import", "")
        self.import_job = job if import_job_id(job) is not None else ""
        rows = conditions_for_ui(link_conditions(params))
        if rows:
            self.conditions, self.active_filter, self.page = rows, NO_FILTER, 1

    @rx.event
    @logged_in
    async def set_search(self, actor: Actor, value: str) -> None:
        self.search = value[:200]
        self.page = 1
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def sort_by(self, actor: Actor, key: str) -> None:
        if key not in SORT_COLUMNS:
            return
        if self.sort == key:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, key in ("created_at", "modified_at")
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def go_to_page(self, actor: Actor, page: int) -> None:
        self.page = max(1, int(page))
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def go_to_typed_page(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        """«Đến trang»: a number typed by the user, kept within the pages there are."""
        typed = str(form.get("page", "")).strip()
        if not typed.isdigit():
            return rx.toast.error(self._t("list.page_invalid"))
        page = max(1, int(typed[:9]))
        self.page = min(page, self.last_page) if self.last_page else page
        await self._refresh(actor)
        return None

    @rx.event
    @logged_in
    async def set_page_size(self, actor: Actor, size: str) -> None:
        if size.isdigit() and int(size) in PAGE_SIZES:
            self.page_size, self.page = int(size), 1
        await self._refresh(actor)

    # ------------------------------------------------------------ filters

    @rx.event
    @logged_in
    async def choose_filter(self, actor: Actor, filter_id: str) -> EventSpec | None:
        self.active_filter = filter_id
        if filter_id == NO_FILTER:
            self.conditions = []
        else:
            try:
                if not filter_id.isdigit():
                    raise UserError("filter.not_found")
                saved = await read(list_settings.get_filter, actor, int(filter_id))
            except UserError:
                self.active_filter = NO_FILTER
                return rx.toast.error(self._t("filter.not_found"))
            self.conditions = conditions_for_ui(saved.conditions)
        self.page = 1
        await self._refresh(actor)
        return None

    @rx.event
    def add_condition(self) -> None:
        self.conditions = [*self.conditions, {"field": "first_name", "op": "contains", "value": "",
                                              "value2": ""}]

    @rx.event
    def set_condition(self, index: int, key: str, value: str) -> None:
        if 0 <= index < len(self.conditions) and key in ("field", "op", "value", "value2"):
            rows = [dict(r) for r in self.conditions]
            rows[index][key] = value[:200]
            self.conditions = rows

    @rx.event
    @logged_in
    async def remove_condition(self, actor: Actor, index: int) -> None:
        self.conditions = [r for i, r in enumerate(self.conditions) if i != index]
        self.page = 1
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def clear_import_filter(self, actor: Actor) -> None:
        self.import_job, self.page = "", 1
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def apply_filters(self, actor: Actor) -> None:
        self.page = 1
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def clear_filters(self, actor: Actor) -> None:
        self.conditions, self.search, self.active_filter, self.page = [], "", NO_FILTER, 1
        self.import_job = ""
        await self._refresh(actor)

    @rx.event
    @logged_in
    async def save_filter(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        saved = await write(list_settings.save_filter, actor, str(form.get("name", "")),
                            conditions_for_service(self.conditions), shared=bool(form.get("shared")))
        await self._load(actor)
        await self._refresh(actor)
        self.active_filter = str(saved.id)
        return rx.toast.success(self._t("filter.saved"))

    @rx.event
    def set_filter_draft(self, filter_id: str, name: str) -> None:
        self.filter_drafts = {**self.filter_drafts, filter_id: name[:128]}

    @rx.event
    @logged_in
    async def rename_filter(self, actor: Actor, filter_id: str) -> EventSpec | None:
        if not filter_id.isdigit() or filter_id not in self.filter_drafts:
            return None
        await write(list_settings.rename_filter, actor, int(filter_id), self.filter_drafts[filter_id])
        self.filter_drafts = {k: v for k, v in self.filter_drafts.items() if k != filter_id}
        await self._load(actor)
        return rx.toast.success(self._t("filter.renamed"))

    @rx.event
    @logged_in
    async def delete_filter(self, actor: Actor, filter_id: str) -> EventSpec | None:
        if not filter_id.isdigit():
            return None
        await write(list_settings.delete_filter, actor, int(filter_id))
        await self._load(actor)
        if self.active_filter == filter_id:
            self.active_filter = NO_FILTER
        return rx.toast.success(self._t("filter.deleted"))

    # ------------------------------------------------------------ columns

    @rx.event
    def start_column_edit(self) -> None:
        self.draft_columns = list(self.columns)

    @rx.event
    def toggle_column(self, key: str, checked: bool) -> None:
        if checked and key not in self.draft_columns:
            self.draft_columns = [*self.draft_columns, key]
        elif not checked:
            self.draft_columns = [c for c in self.draft_columns if c != key]

    @rx.event
    def move_column(self, key: str, step: int) -> None:
        cols = list(self.draft_columns)
        if key in cols:
            i = cols.index(key)
            j = min(max(0, i + step), len(cols) - 1)
            cols[i], cols[j] = cols[j], cols[i]
            self.draft_columns = cols

    @rx.event
    @logged_in
    async def save_columns(self, actor: Actor, as_default: bool) -> EventSpec | None:
        await write(_save_columns, actor, self.draft_columns, as_default)
        self.columns = list(self.draft_columns)
        await self._refresh(actor)
        return rx.toast.success(self._t("columns.saved"))

    @rx.event
    @logged_in
    async def reset_columns(self, actor: Actor) -> None:
        await write(list_settings.reset_columns, actor)
        await self._load(actor)
        self._conditions_from_url()
        await self._refresh(actor)

    # ------------------------------------------------------------ selection and bulk

    @rx.event
    def toggle_row(self, record_id: str, checked: bool) -> None:
        if checked and record_id not in self.selected:
            self.selected = [*self.selected, record_id]
        elif not checked:
            self.selected = [s for s in self.selected if s != record_id]

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        self.selected = [r["id"] for r in self.rows] if checked else []

    def _selected_ids(self) -> list[int]:
        return [int(s) for s in self.selected if s.isdigit()]

    async def _bulk(self, actor: Actor, action: str, arg: str = "") -> EventSpec:
        count = await write(_bulk, actor, action, self._selected_ids(), arg)
        self.selected = []
        await self._refresh(actor)
        if action == "assign":
            return rx.toast.success(self._t("raw_lead.assigned", count=count, user=arg))
        if action == "status":
            return rx.toast.success(self._t("raw_lead.status_changed", count=count))
        return rx.toast.success(self._t("raw_lead.deleted", count=count))

    @rx.event
    @logged_in
    async def bulk_assign(self, actor: Actor, username: str) -> EventSpec | None:
        return await self._bulk(actor, "assign", username)

    @rx.event
    @logged_in
    async def bulk_status(self, actor: Actor, status: str) -> EventSpec | None:
        return await self._bulk(actor, "status", status)

    @rx.event
    @logged_in
    async def bulk_delete(self, actor: Actor) -> EventSpec | None:
        return await self._bulk(actor, "delete")

    @rx.event
    def export(self) -> EventSpec:
        """The file is built and served by an authenticated API route, not through state."""
        params = {"search": self.search, "sort": self.sort, "desc": "1" if self.descending else "0",
                  "conditions": json.dumps(conditions_for_service(self.conditions)), "import": self.import_job}
        return rx.redirect(routes.with_query(routes.EXPORT_RAW_LEADS, params), is_external=True)
