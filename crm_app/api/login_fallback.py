"""POST /api/login: where the login form points its native submit.

The login page is plain HTML until its scripts have loaded. A press of «Đăng nhập» before that
(slow phone, slow network) submits the form natively; without a method and action the browser
sent `GET /login/?username=…&password=…`, putting the password into the address bar, the history
and the server's logs. The form now posts here, and this route only sends the browser back to the
login page: it never reads the body (credentials are checked by the page's own handler), so nothing
it received can be echoed, logged or stored.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from crm_app import routes

router = APIRouter(include_in_schema=False)


def _next_from_referer(referer: str) -> str:
    """The `next` of the login page the form was on, if it is a same-site path."""
    values = parse_qs(urlsplit(referer).query).get("next", [])
    target = values[0] if values else ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


@router.post(routes.LOGIN_FALLBACK)
def login_fallback(request: Request) -> RedirectResponse:
    target = _next_from_referer(request.headers.get("referer", ""))
    url = routes.login_with_next(target) if target else routes.LOGIN
    url += ("&" if "?" in url else "?") + "retry=1"
    # 303: the browser follows with a GET and drops the body; nothing is cached.
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
