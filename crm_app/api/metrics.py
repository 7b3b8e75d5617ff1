"""GET /metrics: the operating figures in Prometheus text format (services/metrics.py).

Behind the API token (`Authorization: Bearer <CRM_API_TOKEN>`), or open with
CRM_METRICS_PUBLIC=1 where a private network or a proxy guards it. Per-user API tokens will come
with the REST API; until then the one configured token is the key."""

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from crm_app.api.errors import responses
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.services import metrics
from crm_app.settings import get_settings

router = APIRouter()


def _allowed(request: Request) -> bool:
    settings = get_settings()
    if settings.metrics_public:
        return True
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return bool(settings.api_token and given) and hmac.compare_digest(given.encode(), settings.api_token.encode())


@router.get("/metrics", tags=["operations"], response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format."},
                       **responses(401, 503, n401="API token missing or wrong.")})
def prometheus_metrics(request: Request) -> Response:
    if not _allowed(request):
        raise HTTPException(401, t("metrics.token"), headers={"WWW-Authenticate": "Bearer"})
    return Response(metrics.prometheus_text(get_engine()), media_type=CONTENT_TYPE_LATEST)
