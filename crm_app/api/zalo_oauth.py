"""The Zalo OAuth v4 callback: Zalo sends the OA admin's browser here with `code` and `state`.

The exchange and every rule are in services/zalo_oa.py; this route only turns the outcome into a
redirect to the Zalo OA settings screen, which says what happened. It never answers 500 and never
puts a token in the redirect (nor in a log line: the code is spent by then anyway)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from crm_app import routes
from crm_app.db import get_engine
from crm_app.i18n import UserError
from crm_app.services import zalo_oa
from crm_app.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_MAX_PARAM = 2048


@router.get(zalo_oa.CALLBACK_PATH)
def zalo_oauth_callback(request: Request) -> RedirectResponse:
    params = request.query_params
    code, state, oa_id = (params.get(k, "")[:_MAX_PARAM] for k in ("code", "state", "oa_id"))
    try:
        zalo_oa.complete_authorization(get_engine(get_settings().database_url), code=code, state=state, oa_id=oa_id)
        result = "ok"
    except UserError as exc:
        result = exc.key.rsplit(".", 1)[-1]  # denied | invalid | expired | failed
    except Exception as exc:  # noqa: BLE001 - the admin gets a message, never a 500 page
        log.warning("Zalo OAuth callback failed: %s", type(exc).__name__)
        result = "failed"
    return RedirectResponse(routes.with_query(routes.SETTINGS_ZALO, {"zalo": result}), status_code=303)
