"""The REST API of DESIGN §5: raw leads, leads and tickets for integrations, with a bearer token.

Lists use the list view's own query service (filters, quick search, visibility), paginated by id
(keyset: no record skipped or repeated while others arrive). `POST /api/raw-leads` goes through
the channels' sync rules (`services.api_intake`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlmodel import Session, col, select

from crm_app.api.auth import check, presented, writer
from crm_app.api.errors import error, responses
from crm_app.api.schemas import (
    CreateResult,
    LeadItem,
    LeadPage,
    RawLeadCreate,
    RawLeadItem,
    RawLeadPage,
    TicketItem,
    TicketPage,
)
from crm_app.db import get_engine, read_session
from crm_app.fields import raw_lead_fields
from crm_app.i18n import UserError, t
from crm_app.models import Lead, RawLead, Ticket, User
from crm_app.services import api_intake, clock, tickets
from crm_app.services.api_tokens import ApiPrincipal
from crm_app.services.incoming import ATTRIBUTION, CREATED_LEAD, CREATED_NEW_DUPLICATE, CREATED_RAW_LEAD, Decision
from crm_app.services.phones import phone_key
from crm_app.services.raw_leads import access
from crm_app.services.raw_leads.keyset import KeysetPage, keyset_page
from crm_app.services.raw_leads.query import ListQuery, filtered
from crm_app.settings import get_settings

router = APIRouter()
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_READ_ERRORS = responses(401, 422, 429, 503)
_CREATED = (CREATED_RAW_LEAD, CREATED_LEAD, CREATED_NEW_DUPLICATE)


# ---------------------------------------------------------------- parameters

def _clean(value: str | None) -> str:
    """Query text as the database can take it (PostgreSQL refuses NUL in text)."""
    return (value or "").replace("\x00", "").strip()


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                        r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")
_TIME_SCHEMA = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}


def parse_time(text: str, tz: tzinfo, *, end_of_day: bool = False) -> datetime | None:
    """An RFC 3339 date-time (with its offset) or a date (a whole day in the organisation's time
    zone: its start, or its end with `end_of_day`), as an aware UTC time; None if it is neither.
    A time beyond what UTC can hold (year 1 at +01:00) stands for the earliest or latest time."""
    try:
        if m := _DATE.fullmatch(text):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            local = datetime.combine(day, time.max if end_of_day else time.min, tz)
        elif m := _DATE_TIME.fullmatch(text):
            offset = timedelta(0) if m[8] else (1 if m[9] == "+" else -1) * timedelta(hours=int(m[10]),
                                                                                    minutes=int(m[11]))
            if offset >= timedelta(days=1) or -offset >= timedelta(days=1):
                return None
            local = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]),
                             int((m[7] or "0")[:6].ljust(6, "0")), timezone(offset))
        else:
            return None
    except ValueError:
        return None
    try:
        return local.astimezone(UTC)
    except OverflowError:
        return (datetime.min if local.year < 2000 else datetime.max).replace(tzinfo=UTC)


def _check_time(name: str, text: str | None) -> str | None:
    """The parameter as given, once it is a date-time or a date (422 otherwise)."""
    if text is not None and parse_time(text, UTC) is None:
        raise RequestValidationError([{"type": "datetime_parsing", "loc": ("query", name), "msg": "", "input": text}])
    return text


@dataclass
class Common:
    """Filters every list takes; the time filters as given, validated (`window` reads them)."""

    status: str
    assigned_to: str
    updated_since: str | None
    created_from: str | None
    created_to: str | None
    limit: int
    after: int | None

    def window(self, session: Session) -> tuple[datetime | None, datetime | None, datetime | None]:
        """updated_since, created_from and created_to as UTC times. A bare date is a day in the
        organisation's zone (services/clock.py), as on screen: read in the route's own session."""
        texts = (self.updated_since, self.created_from, self.created_to)
        tz: tzinfo = clock.zone(session) if any(v and _DATE.fullmatch(v) for v in texts) else UTC

        def at(text: str | None, end_of_day: bool = False) -> datetime | None:
            return None if text is None else parse_time(text, tz, end_of_day=end_of_day)

        return at(self.updated_since), at(self.created_from), at(self.created_to, end_of_day=True)


# The parameter dependencies are async: FastAPI runs a plain `def` dependency on a worker thread,
# a hop per dependency per request (server CPU per phone lookup: 5.5 -> 3.9-5.0 ms).
async def common(
    status: str | None = Query(None, max_length=64, description="Exact status value (e.g. `Mới`)."),
    assigned_to: str | None = Query(None, max_length=64, description="Username of the assigned user."),
    updated_since: str | None = Query(
        None, max_length=40, json_schema_extra=_TIME_SCHEMA,
        description="Records created or changed at or after this time (incremental sync): an RFC 3339 "
                    "date-time with its offset, or a date (from the start of that day, organisation time zone)."),
    created_from: str | None = Query(None, max_length=40, json_schema_extra=_TIME_SCHEMA,
                                     description="Created at or after this date-time, or from this date."),
    created_to: str | None = Query(None, max_length=40, json_schema_extra=_TIME_SCHEMA,
                                   description="Created at or before this date-time, or up to the end of this date."),
    limit: int = Query(50, ge=1, le=500, description="Records per page."),
    cursor: str | None = Query(None, pattern=r"^[0-9]{1,10}$",
                               description="`next_cursor` of the previous page (opaque)."),
) -> Common:
    return Common(_clean(status), _clean(assigned_to), _check_time("updated_since", updated_since),
                  _check_time("created_from", created_from), _check_time("created_to", created_to),
                  limit, int(cursor) if cursor else None)


@dataclass
class ContactFilters:
    mobile: str
    phone: str
    email: str
    q: str


_PHONE_HELP = "Any spelling (0912 345 678, +84912345678, 84912345678…): normalised like duplicate matching."


async def contact_filters(
    mobile: str | None = Query(None, max_length=40, description=f"Di động. {_PHONE_HELP}"),
    phone: str | None = Query(None, max_length=40, description=f"Điện thoại. {_PHONE_HELP}"),
    email: str | None = Query(None, max_length=254, description="Exact email, case-insensitive."),
    q: str | None = Query(None, max_length=200, description="Quick search, as in the list: every word in the "
                                                             "name, phones, email or company, accents ignored."),
) -> ContactFilters:
    return ContactFilters(_clean(mobile), _clean(phone), _clean(email), _clean(q))


def _user_id(session: Session, username: str) -> int:
    """-1 (nobody) for a username that does not exist: the filter then matches nothing."""
    found = session.exec(select(User.id).where(User.username == username.lower())).first()
    return found if found is not None else -1


def _list_query(session: Session, f: ContactFilters, c: Common, input_source: str | None) -> ListQuery:
    """The list view's query for these parameters (its conditions language, one rule)."""
    conditions: list[dict[str, Any]] = []
    for key in ("mobile", "phone"):
        if value := getattr(f, key):
            conditions.append({"field": key, "op": "eq", "value": phone_key(value) or value})
    if f.email:
        conditions.append({"field": "email", "op": "eq", "value": f.email.lower()})
    for key, value in (("status", c.status), ("input_source", _clean(input_source))):
        if value:
            conditions.append({"field": key, "op": "eq", "value": value})
    if c.assigned_to:
        conditions.append({"field": "assigned_to", "op": "eq", "value": str(_user_id(session, c.assigned_to))})
    updated_since, created_from, created_to = c.window(session)
    return ListQuery(search=f.q, conditions=conditions, modified_since=updated_since,
                     created_from=created_from, created_to=created_to)


# ---------------------------------------------------------------- items

def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name for uid, name in session.exec(select(User.id, User.username).where(col(User.id).in_(wanted)))
            if uid is not None}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


_CONTACT_COLUMNS = ("salutation", "last_name", "first_name", "mobile", "phone", "email", "company", "title",
                    "website", "lead_source", "customer_type", "street", "ward", "district", "province", "country",
                    "description", "status", "zalo_user_id", "zalo_name", "facebook_psid", "facebook_name",
                    "input_source", *ATTRIBUTION)


def contact_item(record: RawLead | Lead, users: dict[int, str], custom_keys: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": record.id, **{k: getattr(record, k) for k in _CONTACT_COLUMNS}}
    item["birthday"] = record.birthday.isoformat() if record.birthday else None
    item["assigned_to"] = users.get(record.assigned_to_id)
    if isinstance(record, RawLead):
        item["converted_lead_id"] = record.converted_lead_id
    else:
        item["raw_lead_id"] = record.raw_lead_id
    item["created_at"], item["modified_at"] = _iso(record.created_at), _iso(record.modified_at)
    custom = record.custom or {}
    for key in custom_keys:
        value = custom.get(key[3:])
        item[key] = None if value is None else str(value)
    return item


def ticket_item(ticket: Ticket, users: dict[int, str]) -> dict[str, Any]:
    return {"id": ticket.id, "subject": ticket.subject, "channel": ticket.channel, "raw_lead_id": ticket.raw_lead_id,
            "lead_id": ticket.lead_id, "assigned_to": users.get(ticket.assigned_to_id or -1),
            "status": ticket.status, "description": ticket.description,
            "created_at": _iso(ticket.created_at), "modified_at": _iso(ticket.modified_at)}


def custom_keys(session: Session) -> list[str]:
    return [f.key for f in raw_lead_fields(session) if f.custom]


def _contact_items(session: Session, records: list[Any]) -> list[dict[str, Any]]:
    users = _usernames(session, {r.assigned_to_id for r in records})
    keys = custom_keys(session)
    return [contact_item(r, users, keys) for r in records]


def _page(items: list[dict[str, Any]], page: KeysetPage) -> JSONResponse:
    cursor = str(page.next_after) if page.next_after is not None else None
    return JSONResponse({"items": items, "total": page.total, "next_cursor": cursor})


# ---------------------------------------------------------------- raw leads and leads

def contact_page(session: Session, caller: ApiPrincipal, model: type[RawLead] | type[Lead], f: ContactFilters,
                 c: Common, input_source: str | None) -> KeysetPage:
    """The list's own query (filters, quick search, visibility) on raw leads or leads, one page."""
    where = filtered(session, caller.actor, _list_query(session, f, c, input_source), model)
    return keyset_page(session, model, where, after=c.after, limit=c.limit)


def _list(token: str, model: type[RawLead] | type[Lead], f: ContactFilters, c: Common,
          input_source: str | None) -> JSONResponse:
    with read_session() as session:
        page = contact_page(session, check(session, token), model, f, c, input_source)
        return _page(_contact_items(session, page.records), page)


def _one(token: str, model: type[RawLead] | type[Lead], record_id: int) -> JSONResponse:
    """The record, or 404 when it does not exist or the token's user may not see it (the same
    answer: which ids exist is none of their business)."""
    with read_session() as session:
        caller = check(session, token)
        record = session.get(model, record_id)
        if record is None or not access.can_see(session, caller.actor, record):
            return error(404, t("api.record_not_found"))
        return JSONResponse(_contact_items(session, [record])[0])


_INPUT_SOURCE = "Nguồn input, e.g. `Zalo OA` or `API`."
_ONE_ERRORS = responses(401, 404, 422, 429, 503)


@router.get("/api/raw-leads", tags=["raw-leads"], summary="List raw leads (KH thô)", response_model=RawLeadPage,
            responses=_READ_ERRORS)
def list_raw_leads(token: str = Depends(presented), f: ContactFilters = Depends(contact_filters),
                   c: Common = Depends(common),
                   input_source: str | None = Query(None, max_length=64, description=_INPUT_SOURCE)) -> JSONResponse:
    """Raw leads the token's user may see (the org's visibility setting applies), oldest first.
    Every filter narrows the result; `total` counts all pages."""
    return _list(token, RawLead, f, c, input_source)


@router.get("/api/raw-leads/{record_id}", tags=["raw-leads"], summary="One raw lead", response_model=RawLeadItem,
            responses=_ONE_ERRORS)
def get_raw_lead(record_id: int = Path(ge=1, le=MAX_ID), token: str = Depends(presented)) -> JSONResponse:
    return _one(token, RawLead, record_id)


@router.get("/api/leads", tags=["leads"], summary="List leads", response_model=LeadPage, responses=_READ_ERRORS)
def list_leads(token: str = Depends(presented), f: ContactFilters = Depends(contact_filters),
               c: Common = Depends(common),
               input_source: str | None = Query(None, max_length=64, description=_INPUT_SOURCE)) -> JSONResponse:
    """Leads the token's user may see (the same visibility setting), oldest first."""
    return _list(token, Lead, f, c, input_source)


@router.get("/api/leads/{record_id}", tags=["leads"], summary="One lead", response_model=LeadItem,
            responses=_ONE_ERRORS)
def get_lead(record_id: int = Path(ge=1, le=MAX_ID), token: str = Depends(presented)) -> JSONResponse:
    return _one(token, Lead, record_id)


# ---------------------------------------------------------------- tickets

@router.get("/api/tickets", tags=["tickets"], summary="List tickets", response_model=TicketPage,
            responses=_READ_ERRORS)
def list_tickets(token: str = Depends(presented), f: ContactFilters = Depends(contact_filters),
                 c: Common = Depends(common),
                 channel: str | None = Query(None, max_length=64, description="Exact channel, e.g. `Zalo OA`.")
                 ) -> JSONResponse:
    """Tickets visible to the token's user (admins: all; users: those assigned to them), oldest
    first. `mobile`, `phone` and `email` find the tickets of the raw leads and leads with that
    number or address; `q` searches the subject."""
    with read_session() as session:
        caller = check(session, token)
        updated_since, created_from, created_to = c.window(session)
        query = tickets.TicketQuery(
            search=f.q, status=c.status, channel=_clean(channel),
            assigned_to_id=_user_id(session, c.assigned_to) if c.assigned_to else None,
            mobile=phone_key(f.mobile) or f.mobile, phone=phone_key(f.phone) or f.phone, email=f.email.lower(),
            modified_since=updated_since, created_from=created_from, created_to=created_to)
        page = keyset_page(session, Ticket, tickets.filtered(session, caller.actor, query),
                                     after=c.after, limit=c.limit)
        users = _usernames(session, {t_.assigned_to_id for t_ in page.records})
        return _page([ticket_item(t_, users) for t_ in page.records], page)


@router.get("/api/tickets/{record_id}", tags=["tickets"], summary="One ticket", response_model=TicketItem,
            responses=_ONE_ERRORS)
def get_ticket(record_id: int = Path(ge=1, le=MAX_ID), token: str = Depends(presented)) -> JSONResponse:
    with read_session() as session:
        caller = check(session, token)
        try:
            ticket = tickets.get_ticket(session, caller.actor, record_id)
        except UserError:
            return error(404, t("api.record_not_found"))
        return JSONResponse(ticket_item(ticket, _usernames(session, {ticket.assigned_to_id})))


# ---------------------------------------------------------------- create

async def _json_body(request: Request) -> Any:
    """The body as JSON, refused past the size limit before it is all read (413) or when it is not
    JSON (400)."""
    limit = get_settings().webhook_body_limit
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return _TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _TooLarge()
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NotJson()


class _TooLarge:
    pass


class _NotJson:
    pass


def _strip_nul(value: Any) -> Any:
    """PostgreSQL refuses NUL in text, and lone surrogates cannot be encoded: clean them."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value


def _render(session: Session, actor: Any, decision: Decision, warnings: dict[str, str]) -> api_intake.Answer:
    """The answer to a submission; a record the caller may not see is named by id only."""
    raw = session.get(RawLead, decision.raw_lead_id) if decision.raw_lead_id else None
    lead = session.get(Lead, decision.lead_id) if decision.lead_id else None
    if raw is not None and not access.can_see(session, actor, raw):
        raw = None
    if lead is not None and not access.can_see(session, actor, lead):
        lead = None
    items = _contact_items(session, [r for r in (raw, lead) if r is not None])
    body = {"action": decision.action, "raw_lead_id": decision.raw_lead_id, "lead_id": decision.lead_id,
            "raw_lead": items.pop(0) if raw is not None else None, "lead": items.pop(0) if lead is not None else None,
            "ticket_id": decision.ticket_id, "warnings": warnings}
    return api_intake.Answer(201 if decision.action in _CREATED else 200, body)


_REPLAYED = {"Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier request "
                                                    "with the same Idempotency-Key.", "schema": {"type": "string"}}}


@router.post(
    "/api/raw-leads", tags=["raw-leads"], summary="Submit a person (creates or updates by the sync rules)",
    status_code=201, response_model=CreateResult,
    responses={200: {"model": CreateResult, "headers": _REPLAYED,
                     "description": "An existing record was updated or converted, or the rules stored nothing "
                                    "(`action`)."},
               201: {"description": "A raw lead or lead was created (`action`).", "headers": _REPLAYED},
               **responses(400, 401, 403, 409, 413, 422, 429, 503,
                           n409="This Idempotency-Key was used before with another body.",
                           n422="A field is unknown or not of its type.")},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/RawLeadCreate"}}}}},
)
async def create_raw_lead(
    request: Request, caller: ApiPrincipal = Depends(writer),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255,
                                         description="Any unique string (e.g. a UUID): a request repeated with "
                                                     "the same key, from any worker within 24 h, is answered as "
                                                     "the first was and creates nothing more."),
) -> JSONResponse:
    """The same path as every channel: the sync rules decide whether the person becomes a raw lead
    or a lead, update an existing record (duplicate handling), convert, or store nothing; owners
    are assigned as configured; Nguồn input is `API`. A value that does not fit its field is kept
    in the description and reported in `warnings`, never refused."""
    data = await _json_body(request)
    if isinstance(data, _TooLarge):
        return error(413, t("api.body.too_large"))
    if isinstance(data, _NotJson):
        return error(400, t("api.body.json"))
    try:
        body = RawLeadCreate.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    values = {k: _strip_nul(v) for k, v in body.model_dump(exclude_unset=True).items()}
    try:
        answer = await run_in_threadpool(_submit, caller, values, _strip_nul(idempotency_key or "") or None)
    except api_intake.IdempotencyMismatch as exc:
        return error(409, exc.message())
    except UserError as exc:
        return error(422, exc.message(), errors=getattr(exc, "errors", None))
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _submit(caller: ApiPrincipal, values: dict[str, Any], key: str | None) -> api_intake.Answer:
    with read_session() as session:
        unknown = sorted(set(values) - api_intake.allowed_keys(session))
    if unknown:
        raise api_intake.UnknownFields(unknown)
    return api_intake.submit(get_engine(), values, principal=caller.key, idempotency_key=key,
                             render=lambda s, d, w: _render(s, caller.actor, d, w))
