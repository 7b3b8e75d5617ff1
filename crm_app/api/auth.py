"""Bearer-token authentication of the REST API: who is calling, may they write, are they too fast.

Every request re-reads its token row (nothing cached), so a revoked token or a disabled user is
refused at once by every worker. A read route checks the token inside its own read session
(`presented` then `check`): one session and one worker-thread hop per request."""

from __future__ import annotations

import math

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from crm_app.db import get_engine, read_session
from crm_app.i18n import t
from crm_app.services import api_tokens, ratelimit
from crm_app.services.api_tokens import ApiPrincipal
from crm_app.settings import get_settings

bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", bearerFormat="crm_<prefix>_<secret>",
    description="An API token issued by an admin (Cấu hình hệ thống → API), or CRM_API_TOKEN. It acts "
                "with the rights of the user it belongs to; read-only tokens cannot POST.")
_UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


def _retry_after(principal: ApiPrincipal) -> int | None:
    """Seconds to wait when this token is over its rate (counted across workers), else None."""
    settings = get_settings()
    allowed, wait = ratelimit.hit(f"api:{principal.key}", settings.api_rate, settings.api_burst)
    return None if allowed else max(1, math.ceil(wait))


async def presented(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """The bearer token as sent (401 when there is none); `check` tells whether it is any good."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, t("api.token.missing"), headers=_UNAUTHORISED)
    return credentials.credentials[:512]


def check(session: Session, token: str, *, write: bool = False) -> ApiPrincipal:
    """The caller of a presented token: 401 unknown or revoked, 429 over its rate, 403 a read-only
    token that wants to write."""
    found = api_tokens.authenticate(session, token, bootstrap=get_settings().api_token)
    if found is None:
        raise HTTPException(401, t("api.token.invalid"), headers=_UNAUTHORISED)
    if (wait := _retry_after(found)) is not None:
        raise HTTPException(429, t("api.too_many"), headers={"Retry-After": str(wait)})
    if write and not found.can_write:
        raise HTTPException(403, t("api.token.read_only"))
    api_tokens.note_use(get_engine(), found)
    return found


def writer(token: str = Depends(presented)) -> ApiPrincipal:
    """The caller of a write route, checked before its body is read."""
    with read_session() as session:
        return check(session, token, write=True)
