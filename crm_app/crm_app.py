"""The Reflex app: pages, theme and the mounted API."""

import reflex as rx

from crm_app.api import build_api
from crm_app.api.limits import limit_upload_size
from crm_app.pages import (  # noqa: F401  (importing registers the pages)
    api_tokens,
    channel_events,
    dashboard,
    field_settings,
    forms,
    import_wizard,
    leads,
    login,
    raw_lead_detail,
    raw_lead_form,
    raw_leads,
    settings,
    sync_config,
    tickets,
)

app = rx.App(api_transformer=[build_api(), limit_upload_size])
