"""The FastAPI app mounted in front of Reflex through `api_transformer`."""

from fastapi import FastAPI

from crm_app.api import (
    errors,
    health,
    imports,
    login_fallback,
    metrics,
    openapi,
    raw_leads,
    rest,
    webhooks,
    zalo_oauth,
)


def build_api() -> FastAPI:
    api = FastAPI(title="CRM KH thô API", version="1.0", openapi_url="/api/openapi.json", docs_url="/api/docs",
                  redoc_url=None)
    errors.install(api)
    api.include_router(health.router)
    api.include_router(login_fallback.router)
    api.include_router(raw_leads.router)  # before rest: /api/raw-leads/export.xlsx is not a record id
    api.include_router(rest.router)
    api.include_router(imports.router)
    api.include_router(webhooks.router)
    api.include_router(metrics.router)
    api.include_router(zalo_oauth.router)
    api.include_router(errors.catch_all)  # last: any other path under /api/ answers JSON 404/405
    openapi.install(api)
    return api
