"""Errors under /api/ are JSON, always: one `Error` shape, Vietnamese messages from the catalogue,
and the status codes each route declares in the OpenAPI description.

Reflex's frontend is mounted behind the API, so a path under /api/ that no route serves would get
the app's HTML page: the catch-all route below answers 404 (or 405 for a known path with another
method) as JSON instead."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from crm_app.i18n import t

log = logging.getLogger(__name__)
DB_RETRY_AFTER = "30"


class Error(BaseModel):
    """Every error answer under /api/."""

    detail: str = Field(description="What went wrong, in Vietnamese.")
    errors: dict[str, str] | None = Field(
        default=None, description="Per field or parameter (e.g. `first_name`, `query.limit`): what is wrong with it.")


_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: body not JSON, or a malformed cursor or header.",
    401: "Missing, unknown or revoked bearer token.",
    403: "The token may not do this (a read-only token on a write route).",
    404: "No such record, or not visible to the token's user.",
    405: "Method not allowed on this path.",
    409: "Conflict with the current state of the resource.",
    413: "Request body larger than the allowed size.",
    422: "A parameter or field value is not valid; `errors` says which.",
    429: "Too many requests for this token: retry after `Retry-After` seconds.",
    503: "Database unavailable: retry after `Retry-After` seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


def responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of error answers: `responses(401, 404, n404="...")`."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": Error, "description": descriptions.get(f"n{code}", _DESCRIPTIONS[code])}
        if code in (429, 503):
            entry["headers"] = _RETRY_AFTER
        if code == 401:
            entry["headers"] = {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}
        out[code] = entry
    return out


def error(status: int, detail: str, *, errors: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


# Pydantic's error types → catalogue keys; anything else is "invalid value".
_VALIDATION_KEYS = {
    "missing": "api.param.missing",
    "int_parsing": "api.param.integer",
    "int_from_float": "api.param.integer",
    "greater_than_equal": "api.param.too_small",
    "greater_than": "api.param.too_small",
    "less_than_equal": "api.param.too_large",
    "less_than": "api.param.too_large",
    "string_too_long": "api.param.too_long",
    "datetime_parsing": "api.param.datetime",
    "datetime_from_date_parsing": "api.param.datetime",
    "datetime_type": "api.param.datetime",
    "date_parsing": "api.param.datetime",
    "date_from_datetime_parsing": "api.param.datetime",
    "literal_error": "api.param.choice",
    "enum": "api.param.choice",
    "model_attributes_type": "api.body.object",
    "dict_type": "api.body.object",
    "extra_forbidden": "api.body.unknown_field",
    "string_type": "api.param.text",
}


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        return error(400, t("api.body.json"))
    errors: dict[str, str] = {}
    for problem in problems:
        key = _VALIDATION_KEYS.get(str(problem.get("type")), "api.param.invalid")
        ctx = problem.get("ctx") or {}
        errors.setdefault(_where(problem.get("loc", ())),
                          t(key, limit=ctx.get("le", ctx.get("ge", ctx.get("max_length", "")))))
    return error(422, t("api.invalid"), errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else t("api.invalid")
    if exc.status_code == 404 and detail == "Not Found":
        detail = t("api.not_found")
    if exc.status_code == 405 and detail == "Method Not Allowed":
        detail = t("api.method_not_allowed")
    return error(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down or unreachable: 503 so clients retry, never an HTML 500."""
    log.error("api: database unavailable: %s", type(exc).__name__)
    return error(503, t("api.unavailable"), headers={"Retry-After": DB_RETRY_AFTER})


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("api: unexpected %s", type(exc).__name__)
    return error(500, t("api.internal"))


def install(api: FastAPI) -> None:
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(OperationalError, _database_error)
    api.add_exception_handler(InterfaceError, _database_error)
    api.add_exception_handler(Exception, _unexpected)


# ---------------------------------------------------------------- the catch-all under /api/

class _WholePath(PathConvertor):
    """Starlette's `path` convertor also across a decoded %0A. Its `.*` stops at a newline, so
    such a URL missed every mount, Reflex's included, and got a plain-text 404 instead of this
    module's JSON. Registered under the same name before Reflex mounts the app."""

    regex = "(?s:.*)"


register_url_convertor("path", _WholePath())
catch_all = APIRouter(include_in_schema=False)
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route, also inside included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)


@catch_all.api_route("/api", methods=_METHODS)
@catch_all.api_route("/api/{path:path}", methods=_METHODS)
def api_not_found(request: Request) -> JSONResponse:
    """A path some route serves with other methods → 405 with Allow; anything else → 404."""
    allowed: set[str] = set()
    for route in _routes(request.app.router.routes):
        if route.endpoint is not api_not_found and route.matches(request.scope)[0] == Match.PARTIAL:
            allowed |= route.methods or set()
    if allowed:
        return error(405, t("api.method_not_allowed"), headers={"Allow": ", ".join(sorted(allowed))})
    return error(404, t("api.not_found"))
