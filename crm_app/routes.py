"""Route constants, URL builders and the record id in a page's URL, in one module.

The builders take an id or a Reflex Var (an f-string of a Var renders as a JS template), so pages
and State build links the same way."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

LOGIN = "/login"
LOGIN_FALLBACK = "/api/login"  # the login form's native submit (scripts not loaded yet)
HOME = "/"
RAW_LEADS = "/raw-leads"
RAW_LEAD_NEW = "/raw-leads/new"
LEADS = "/leads"
TICKETS = "/tickets"
MY_TASKS = "/tasks"
DUPLICATES = "/duplicates"
SETTINGS = "/settings"
SETTINGS_FIELDS = "/settings/fields"
SETTINGS_SYNC = "/settings/sync"
SETTINGS_CHANNELS = "/settings/channels"
SETTINGS_FORMS = "/settings/forms"
SETTINGS_API = "/settings/api"
SETTINGS_ZALO = "/settings/zalo"
API_DOCS = "/api/docs"
RAW_LEAD_IMPORT = "/raw-leads/import"
EXPORT_RAW_LEADS = "/api/raw-leads/export.xlsx"
IMPORT_TEMPLATE = "/api/import/template.xlsx"
IMPORT_FILES = "/api/import/jobs/"
FORM_WEBHOOKS = "/api/webhooks/forms/"

# Page routes with their dynamic segment, as Reflex declares them.
RAW_LEAD_PAGE = RAW_LEADS + "/[record_id]"
RAW_LEAD_EDIT_PAGE = RAW_LEADS + "/[record_id]/edit"
LEAD_PAGE = LEADS + "/[lead_id]"
LEAD_EDIT_PAGE = LEADS + "/[lead_id]/edit"
TICKET_PAGE = TICKETS + "/[ticket_id]"
IMPORT_RESULT = "/imports"  # /imports/<job id>: an import's result, linked from the records' timelines
IMPORT_RESULT_PAGE = IMPORT_RESULT + "/[job_id]"


def raw_lead(record_id: Any) -> str:
    return f"{RAW_LEADS}/{record_id}"


def raw_lead_edit(record_id: Any) -> str:
    return f"{RAW_LEADS}/{record_id}/edit"


def lead(lead_id: Any) -> str:
    return f"{LEADS}/{lead_id}"


def lead_edit(lead_id: Any) -> str:
    return f"{LEADS}/{lead_id}/edit"


def ticket(ticket_id: Any) -> str:
    return f"{TICKETS}/{ticket_id}"


def record(module: str, record_id: Any) -> str:
    """The detail page of a raw lead ("raw_leads") or a lead ("leads")."""
    return lead(record_id) if module == "leads" else raw_lead(record_id)


def import_file(job_id: Any, kind: str = "") -> str:
    """An import's result file ("skipped" / "failed"), or the folder of them with kind ""."""
    return f"{IMPORT_FILES}{job_id}/{kind}"


def form_webhook(form_key: str) -> str:
    return f"{FORM_WEBHOOKS}{form_key}"


def login_with_next(path: str) -> str:
    return f"{LOGIN}?next={quote(path, safe='/')}" if path and path != LOGIN else LOGIN


# "/<section>/<id>" or "/<section>/<id>/edit"; at most 9 digits, so the id fits any integer column.
_RECORD_PATH = re.compile(r"^/([a-z-]+)/([0-9]{1,9})(/edit)?/?$")


def record_id_from_path(path: str, section: str, *, edit: bool = False) -> int:
    """The record id in a page's path ("/raw-leads/12", "/leads/12/edit"; `section` is the first
    segment without slashes); 0 when the path is not that page."""
    m = _RECORD_PATH.match(path.split("?", 1)[0])
    if m is None or m[1] != section.strip("/") or bool(m[3]) != edit:
        return 0
    return int(m[2])


def merged_record(ref: str) -> str:
    """The page of a record named as Tìm trùng names it ("raw_lead:12", "lead:7"); "" for none."""
    entity, _, ident = ref.partition(":")
    if not ident:
        return ""
    return raw_lead(ident) if entity == "raw_lead" else lead(ident)


def section_of(path: str) -> str:
    """The first segment of a path: "/leads/3/edit" → "leads"."""
    return path.strip("/").split("/", 1)[0]


def with_query(path: str, params: dict[str, Any]) -> str:
    """A route with its query string ("/raw-leads?open=1&assigned_to=3")."""
    from urllib.parse import urlencode

    return f"{path}?{urlencode(params)}" if params else path


def raw_lead_list(**params: Any) -> str:
    """The raw-lead list with filters in its query (the dashboard's drill-downs)."""
    return with_query(RAW_LEADS, params)


def import_result(job_id: Any) -> str:
    return f"{IMPORT_RESULT}/{job_id}"
