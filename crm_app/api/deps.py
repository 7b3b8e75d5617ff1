"""Who is calling an API route: the browser's session cookie (same token as the UI)."""

from fastapi import Depends, HTTPException
from fastapi.security import APIKeyCookie

from crm_app.db import read_session
from crm_app.i18n import t
from crm_app.services import auth
from crm_app.services.auth import Actor
from crm_app.state_cookie import SESSION_COOKIE

# Declared so the OpenAPI description says how these routes authenticate (the app's login).
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                              description="The session cookie the app sets at login (browser downloads).")


def cookie_actor(token: str | None = Depends(session_cookie)) -> Actor:
    with read_session() as session:
        actor = auth.actor_for_token(session=session, token=token or "")
    if actor is None:
        raise HTTPException(status_code=401, detail=t("api.session.missing"))
    return actor
