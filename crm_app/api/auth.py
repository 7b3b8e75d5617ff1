"""Bearer-token authentication of the REST API: who is calling, may they write, are they too fast.

Every request re-reads its token row (nothing cached), so a revoked token or a disabled user is
refused at once by every worker."""

from __future__ import annotations

import math

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crm_app.db import get_engine, read_session
from crm_app.i18n import t
from crm_app.services import api_tokens, ratelimit
from crm_app.services.api_tokens import ApiPrincipal
from crm_app.settings import get_settings

bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", bearerFormat="crm_<prefix>_<secret>",
    description="An API token issued by an admin (Cấu hình hệ thống → API), or CRM_API_TOKEN. It acts "
                "with the rights of the user it belongs to; read-only tokens cannot POST.")


def _retry_after(principal: ApiPrincipal) -> int | None:
    """Seconds to wait when this token is over its rate (counted across workers), else None."""
    settings = get_settings()
    allowed, wait = ratelimit.hit(f"api:{principal.key}", settings.api_rate, settings.api_burst)
    return None if allowed else max(1, math.ceil(wait))


def principal(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiPrincipal:
    unauthorised = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, t("api.token.missing"), headers=unauthorised)
    with read_session() as session:
        found = api_tokens.authenticate(session, credentials.credentials[:512], bootstrap=get_settings().api_token)
    if found is None:
        raise HTTPException(401, t("api.token.invalid"), headers=unauthorised)
    if (wait := _retry_after(found)) is not None:
        raise HTTPException(429, t("api.too_many"), headers={"Retry-After": str(wait)})
    api_tokens.note_use(get_engine(), found)
    return found


def writer(caller: ApiPrincipal = Depends(principal)) -> ApiPrincipal:
    if not caller.can_write:
        raise HTTPException(403, t("api.token.read_only"))
    return caller
