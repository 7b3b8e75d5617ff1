"""The FastAPI app mounted in front of Reflex through `api_transformer`."""

from fastapi import FastAPI

from crm_app.api import health, imports, metrics, raw_leads, webhooks


def build_api() -> FastAPI:
    api = FastAPI(title="CRM KH thô API", openapi_url="/api/openapi.json", docs_url="/api/docs",
                  redoc_url=None)
    api.include_router(health.router)
    api.include_router(raw_leads.router)
    api.include_router(imports.router)
    api.include_router(webhooks.router)
    api.include_router(metrics.router)
    return api
