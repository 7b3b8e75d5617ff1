"""The OpenAPI description served at /api/openapi.json.

FastAPI builds it from the routes; this module adds what FastAPI cannot see: the request bodies of
routes that read their raw bytes (webhooks verify signatures over them; the create route enforces
its size limit before parsing), and the admin's custom fields, which are data — so the schema is
rebuilt from the live field registry on each request (it is small and rarely fetched)."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.exc import SQLAlchemyError

from crm_app.api.schemas import RawLeadCreate
from crm_app.db import read_session
from crm_app.fields import raw_lead_fields

DESCRIPTION = """\
REST API of the raw-lead CRM (DESIGN §5).

**Authentication.** `Authorization: Bearer <token>` with a token an admin issued under
*Cấu hình hệ thống → API* (or the `CRM_API_TOKEN` bootstrap token). A token acts with the rights of
the user it belongs to: when the org setting says users see only their own raw leads, so does their
token. Read-only tokens get 403 on `POST`. Each token is rate limited (429 with `Retry-After`).

**Lists** answer `{"items": [...], "total": N, "next_cursor": "…"}` in id order; pass `cursor` to
get the next page. For incremental sync, pass `updated_since` = the time you started the previous
sync (from the `Date` header of its first answer, minus a few seconds).

**Errors** are JSON `{"detail": "…", "errors": {…}}` with Vietnamese messages, on every path under
`/api/`.

Webhook routes (`/api/webhooks/…`) are for the channel providers and authenticate with the
provider's signature or secret, not with a bearer token.
"""

_ID = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
_OBJECT = {"type": "object", "additionalProperties": True}

ZALO_EVENT = {
    "type": "object", "additionalProperties": True,
    "description": "A Zalo OA event (follow, unfollow, user_send_*, user_submit_info, oa_send_*…).",
    "properties": {
        "app_id": {"type": "string"}, "oa_id": {"type": "string"},
        "event_name": {"type": "string", "examples": ["follow", "user_send_text", "user_submit_info"]},
        "timestamp": {**_ID, "description": "Epoch milliseconds; part of the signature."},
        "sender": {"type": "object", "properties": {"id": _ID}, "additionalProperties": True},
        "recipient": {"type": "object", "properties": {"id": _ID}, "additionalProperties": True},
        "follower": {"type": "object", "properties": {"id": _ID}, "additionalProperties": True},
        "user_id_by_app": {"type": "string"},
        "message": {"type": "object", "additionalProperties": True,
                    "properties": {"text": {"type": "string"}, "msg_id": {"type": "string"}}},
        "info": {**_OBJECT, "description": "user_submit_info: name, phone, address, ward, district, city "
                                           "(or the nested full_address shape)."},
    },
    "example": {"app_id": "36084652489903967", "sender": {"id": "24684588352919792"},
                "recipient": {"id": "388613280879808645"}, "event_name": "user_submit_info",
                "info": {"name": "Nguyễn Văn A", "phone": "84912345678", "address": "12 Nguyễn Huệ"},
                "timestamp": "1725608800000"},
}
FACEBOOK_EVENT = {
    "type": "object", "additionalProperties": True,
    "description": "Messenger events in `entry[].messaging[]`, Lead Ads in `entry[].changes[]` (field `leadgen`).",
    "properties": {
        "object": {"type": "string", "examples": ["page"]},
        "entry": {"type": "array", "items": {"type": "object", "additionalProperties": True, "properties": {
            "id": _ID, "time": {"type": "integer"},
            "messaging": {"type": "array", "items": _OBJECT},
            "changes": {"type": "array", "items": _OBJECT}}}},
    },
    "example": {"object": "page", "entry": [{"id": "0", "time": 1588890044, "changes": [
        {"field": "leadgen", "value": {"leadgen_id": "444444444444", "form_id": "444444444444",
                                       "page_id": "444444444444", "created_time": 1588890044}}]}]},
}
CHATBOT_EVENT = {
    "type": "object", "additionalProperties": True,
    "description": "Hana: `{application, lead: {<attribute>: {nomalizeData, rawData}}, conversation}`. "
                   "Botbanhang: `{event: client:new | order:new, data}`.",
    "properties": {"application": _OBJECT, "lead": _OBJECT, "conversation": _OBJECT,
                   "event": {"type": "string", "examples": ["client:new", "order:new"]}, "data": _OBJECT},
    "example": {"application": {"id": "dbd9a5f7"}, "lead": {
        "id": {"nomalizeData": "e734c76a"}, "baseName": {"nomalizeData": "Toan Truyen"},
        "phone": {"nomalizeData": "84912345678", "rawData": "0912 345 678"}}},
}
FORM_SUBMISSION = {
    "description": "A flat object of the form's fields, or LadiPage's `form_data` / `tracking_form` lists of "
                   "`{name, value}`.",
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "additionalProperties": True,
            "properties": {"form_data": {"type": "array", "items": _OBJECT},
                           "tracking_form": {"type": "array", "items": _OBJECT}},
            "example": {"name": "Nguyễn Văn A", "phone": "0912345678", "email": "a@example.com",
                        "utm_source": "facebook"}}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object",
                                                         "additionalProperties": {"type": "string"}}},
    },
}


# How the webhook routes authenticate (their secrets are the providers', not API tokens).
WEBHOOK_SCHEMES: dict[str, dict[str, Any]] = {
    "zaloSignature": {"type": "apiKey", "in": "header", "name": "X-ZEvent-Signature",
                      "description": "`mac=<hex SHA-256(app_id + raw body + timestamp + OA secret key)>`"},
    "facebookSignature": {"type": "apiKey", "in": "header", "name": "X-Hub-Signature-256",
                          "description": "`sha256=<hex HMAC-SHA256(app secret, raw body)>`"},
    "webhookToken": {"type": "apiKey", "in": "header", "name": "X-Webhook-Token",
                     "description": "The chatbot provider's or the form's secret (also accepted as `?token=`)."},
    "formSignature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                      "description": "`sha256=<hex HMAC-SHA256(form secret, raw body)>`, optional `X-Timestamp`."},
}


def secured(*schemes: str) -> dict[str, Any]:
    """`openapi_extra` naming the schemes a webhook route accepts (any one of them)."""
    return {"security": [{name: []} for name in schemes]}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its JSON body itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _custom_fields(schema: dict[str, Any], keys: list[str]) -> None:
    """Items and the create body list the current custom fields; nothing else is accepted."""
    schemas = schema["components"]["schemas"]
    for name in ("RawLeadItem", "LeadItem", "RawLeadCreate"):
        model = schemas.get(name)
        if model is None:
            continue
        value = {"anyOf": [{"type": "string"}, {"type": "null"}]} if name != "RawLeadCreate" else \
            {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}
        for key in keys:
            model["properties"][key] = {**value, "title": key}
        if name != "RawLeadCreate":
            model["required"] = [*model.get("required", []), *keys]
        model["additionalProperties"] = False


def _errors_as_json(schema: dict[str, Any]) -> None:
    """Error answers are JSON on every route, also where the success is a file or plain text
    (FastAPI files the declared error models under the route's own media type)."""
    for operation in (op for path in schema["paths"].values() for op in path.values()):
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if status[0] in "45" and content and "application/json" not in content:
                response["content"] = {"application/json": next(iter(content.values()))}


def install(api: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            base = get_openapi(title=api.title, version=api.version, description=DESCRIPTION, routes=api.routes)
            base["components"]["schemas"]["RawLeadCreate"] = RawLeadCreate.model_json_schema(
                ref_template="#/components/schemas/{model}")
            base["components"]["securitySchemes"].update(WEBHOOK_SCHEMES)
            _errors_as_json(base)
            api.openapi_schema = base
        schema = copy.deepcopy(api.openapi_schema)
        try:
            with read_session() as session:
                keys = [f.key for f in raw_lead_fields(session) if f.custom]
        except SQLAlchemyError:
            keys = []  # the database is down: the built-in fields are still described
        _custom_fields(schema, keys)
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
