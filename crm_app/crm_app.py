"""The Reflex app: pages, theme, the mounted API and, on the embedded default, the consumer."""

import contextlib
from collections.abc import AsyncIterator

import reflex as rx

from crm_app.api import build_api
from crm_app.api.limits import limit_upload_size
from crm_app.pages import (  # noqa: F401  (importing registers the pages)
    api_tokens,
    channel_events,
    dashboard,
    duplicates,
    field_settings,
    forms,
    import_result,
    import_wizard,
    leads,
    login,
    my_tasks,
    raw_lead_detail,
    raw_lead_form,
    raw_leads,
    settings,
    sync_config,
    tickets,
    zalo_oa,
)
from crm_app.services import worker
from crm_app.state.auth import unexpected_error

# An error no handler expected: logged, and a translated message instead of Reflex's English one.
app = rx.App(api_transformer=[build_api(), limit_upload_size], backend_exception_handler=unexpected_error)


@contextlib.asynccontextmanager
async def embedded_consumer() -> AsyncIterator[None]:
    """`make run` is one command: the app starts the background consumer and stops it on exit."""
    process = worker.spawn_embedded()
    try:
        yield
    finally:
        worker.stop_embedded(process)


app.register_lifespan_task(embedded_consumer)
