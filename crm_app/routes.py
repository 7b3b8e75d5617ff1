"""Route constants and URL builders, in one module."""

LOGIN = "/login"
LOGIN_FALLBACK = "/api/login"  # the login form's native submit (scripts not loaded yet)
HOME = "/"
RAW_LEADS = "/raw-leads"
RAW_LEAD_NEW = "/raw-leads/new"
LEADS = "/leads"
TICKETS = "/tickets"
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


def raw_lead(record_id: int | str) -> str:
    return f"{RAW_LEADS}/{record_id}"


def raw_lead_edit(record_id: int | str) -> str:
    return f"{RAW_LEADS}/{record_id}/edit"


def login_with_next(path: str) -> str:
    from urllib.parse import quote

    return f"{LOGIN}?next={quote(path, safe='/')}" if path and path != LOGIN else LOGIN
