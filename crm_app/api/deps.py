"""Who is calling an API route: the browser's session cookie (same token as the UI)."""

from fastapi import HTTPException, Request

from crm_app.db import read_session
from crm_app.services import auth
from crm_app.services.auth import Actor
from crm_app.state_cookie import SESSION_COOKIE


def cookie_actor(request: Request) -> Actor:
    token = request.cookies.get(SESSION_COOKIE, "")
    with read_session() as session:
        actor = auth.actor_for_token(session=session, token=token)
    if actor is None:
        raise HTTPException(status_code=401, detail="Chưa đăng nhập.")
    return actor
