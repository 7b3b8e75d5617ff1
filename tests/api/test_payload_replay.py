"""Every collected real-world payload (tests/fixtures/payloads, see its README) replayed over HTTP
against the app's API, with the collected Graph / Zalo answers served by the fake providers:
each ends processed (or ignored for non-lead events), never failed; the record it makes carries
what expected.json says; a redelivery creates nothing. Then hostile bodies on every route.

The API runs on a database of its own (granian + a `crm worker`, as tests/faults do): several
collected payloads share ids with each other and with tests/api/test_webhooks.py's bodies."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select, update

from crm_app.db import get_engine, write_session
from crm_app.fields import picklist_values
from crm_app.models import ChannelEvent, Lead, RawLead, Ticket
from crm_app.services import forms as form_settings
from crm_app.services.channels import Delivery, registry
from crm_app.services.demo import ensure_demo_users
from crm_app.services.incoming import ATTRIBUTION_ALIASES
from tests import fakes
from tests.apprunner import start_api
from tests.conftest import make_database
from tests.fakes import BBH_SECRET, FB_SECRET, HANA_SECRET, ZALO_APP_ID, ZALO_SECRET, channel_env, fake_providers

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
EXPECTED: dict[str, Any] = json.loads((PAYLOADS / "expected.json").read_text())["payloads"]
# One form per Nguồn input the form payloads are posted as (expected.json "form.channel").
FORMS = {"Landing page": "replay-landing", "Webform": "replay-webform", "Facebook Lead Ads": "replay-fbleads"}
FORM_TOKEN = "replay-form-token"
MAPPED_FORM = "replay-mapped"


class Replay:
    def __init__(self, base: str, engine: Engine, log_path: Path) -> None:
        self.base, self.engine, self.log_path = base, engine, log_path


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    workdir = tmp_path_factory.mktemp("replay")
    url = make_database("sqlite", workdir)
    engine = get_engine(url)
    with write_session(engine) as s:
        ensure_demo_users(session=s)
        for channel, key in FORMS.items():
            form_settings.add_form(s, key=key, channel=channel, secret=FORM_TOKEN)
        mapped, _ = form_settings.add_form(s, key=MAPPED_FORM, channel="Webform", secret=FORM_TOKEN)
        mapped.mapping = EXPECTED["forms/gravityforms_all_fields.gravitypdf.json"]["with_mapping"]["form"]["mapping"]
        s.add(mapped)
    with fake_providers() as providers:
        process, base = start_api(url, workdir, extra_env=channel_env(providers))
        try:
            yield Replay(base, engine, next(workdir.glob("api-*.log")))
        finally:
            process.terminate()
            process.wait(timeout=20)
            engine.dispose()


# ---------------------------------------------------------------- sending a payload as its sender does

def route_of(name: str, form_key: str | None = None) -> tuple[str, str]:
    """(URL path, channel name) of a payload file."""
    folder = name.split("/", 1)[0]
    if folder == "meta":
        return "/api/webhooks/facebook", "facebook"
    if folder == "zalo":
        return "/api/webhooks/zalo", "zalo"
    if folder == "chatbot":
        provider = "hana" if "hana" in name else "botbanhang"
        return f"/api/webhooks/chatbot/{provider}", provider
    return f"/api/webhooks/forms/{form_key or FORMS[EXPECTED[name]['form']['channel']]}", "form"


def signed_headers(channel: str, body: bytes, content_type: str = "application/json") -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if channel == "facebook":
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(FB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    elif channel == "zalo":
        try:
            stamp = str(json.loads(body).get("timestamp", ""))
        except (ValueError, AttributeError, RecursionError):
            stamp = ""
        mac = hashlib.sha256(ZALO_APP_ID.encode() + body + stamp.encode() + ZALO_SECRET.encode()).hexdigest()
        headers["X-ZEvent-Signature"] = f"mac={mac}"
    elif channel in ("hana", "botbanhang"):
        headers["X-Webhook-Token"] = HANA_SECRET if channel == "hana" else BBH_SECRET
    else:
        headers["X-Webhook-Token"] = FORM_TOKEN
    return headers


def serve_fakes(spec: dict[str, Any], body: bytes) -> None:
    """The collected answers for this payload's look-ups (expected.json "fakes")."""
    fakes.GRAPH_ANSWERS.clear()
    fakes.ZALO_DETAILS.clear()
    fakes.LOOKUPS.clear()
    fake = spec.get("fakes") or {}
    for request, answer in (fake.get("graph") or {}).items():
        status = 400 if "(HTTP 400)" in answer else 200
        data = json.loads((PAYLOADS / answer.split(" ")[0]).read_text())
        if "{psid}" in request:
            for psid in psids(body):
                fakes.GRAPH_ANSWERS[psid] = (status, data)
        else:
            fakes.GRAPH_ANSWERS[request.rsplit("/", 1)[1]] = (status, data)
    details = (fake.get("zalo") or {}).get("GET /v3.0/oa/user/detail") or {}
    if details:
        from crm_app.services.channels.zalo import user_id

        uid = user_id(json.loads(body)) or ""
        answer = details.get(uid) or details["*"]
        fakes.ZALO_DETAILS[uid] = json.loads((PAYLOADS / answer).read_text())


def psids(body: bytes) -> set[str]:
    data = json.loads(body)
    return {str(item.get("sender", {}).get("id")) for entry in data.get("entry", [])
            for item in entry.get("messaging", []) if isinstance(item.get("sender"), dict)}


def event_keys(channel: str, body: bytes, headers: dict[str, str]) -> list[str]:
    """The dedup keys the app will give this delivery (the channel's own split)."""
    module = registry.get(channel)
    assert module is not None
    lowered = {k.lower(): v for k, v in headers.items()}
    if channel == "form":
        return [hashlib.sha256(body).hexdigest()]
    return [unit.key for unit in module.split(Delivery(body, lowered))]


def forget(engine: Engine) -> None:
    """Each payload on a clean slate: collected payloads share placeholder ids ("This is message
    id") and example people (+84912345678 is in a Zalo, a Hana and a LadiPage body), and expected.json
    describes each one alone."""
    with write_session(engine) as s:
        s.exec(delete(Ticket))  # type: ignore[call-overload]
        s.exec(update(RawLead).values(converted_lead_id=None))  # type: ignore[call-overload]
        for model in (Lead, RawLead, ChannelEvent):
            s.exec(delete(model))  # type: ignore[call-overload]


def settled(engine: Engine, channel: str, keys: list[str]) -> list[ChannelEvent]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with Session(engine) as s:
            rows = list(s.exec(select(ChannelEvent).where(ChannelEvent.channel == channel,
                                                          col(ChannelEvent.event_key).in_(keys))
                               .order_by(col(ChannelEvent.id))))
        if len(rows) == len(set(keys)) and all(e.status not in ("received",) for e in rows) and not any(
                e.status == "failed" and e.next_attempt_at is not None and e.attempts < 2 for e in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"not processed: {[(e.event_key, e.status, e.error) for e in rows]}")


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (s.exec(select(func.count()).select_from(RawLead)).one(),
                s.exec(select(func.count()).select_from(Lead)).one(),
                s.exec(select(func.count()).select_from(ChannelEvent)).one())


# ---------------------------------------------------------------- what the record must carry

def shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def record_text(record: RawLead | Lead) -> str:
    parts = [str(v) for v in record.model_dump().values() if v is not None and not isinstance(v, dict)]
    parts += [str(v) for v in (record.custom or {}).values()]
    return "\n".join(parts)


def check_record(session: Session, record: RawLead | Lead, want: dict[str, Any]) -> None:
    name = " ".join(p for p in (record.last_name, record.first_name) if p)
    if want.get("full_name"):
        assert name == want["full_name"], (name, want["full_name"])
    for key in ("first_name", "last_name"):
        if key in want:
            assert getattr(record, key) == want[key], (key, getattr(record, key))
    if "phone" in want:
        assert record.mobile == want["phone"], (record.mobile, want["phone"])
    for key in ("email", "street", "ward", "district", "province", "zalo_user_id", "zalo_name", "facebook_psid",
                "facebook_name"):
        if key in want:
            assert getattr(record, key) == want[key], (key, getattr(record, key), want[key])
    if "birthday" in want:
        assert str(record.birthday) == want["birthday"]
    source = want["input_source"]
    if source.startswith("<provider"):  # Messenger: the chatbot that runs the page, else Facebook
        assert record.input_source in ("Hana", "Botbanhang", "Facebook")
    else:
        assert record.input_source == source
    assert record.input_source in picklist_values(session, "input_source", include_inactive=True)
    text = record_text(record)
    kept = {**(want.get("extra") or {}), **(want.get("utm") or {})}
    if want.get("page_url"):
        kept["page_url"] = want["page_url"]
    for label, value in kept.items():  # every answer no field took is on the record
        assert shown(value) in text, (label, value, text)
    for key, value in (want.get("attribution") or {}).items():
        if key in ATTRIBUTION_ALIASES:
            assert getattr(record, ATTRIBUTION_ALIASES[key]) == value, (key, value)
        else:  # leadgen_id, is_organic: kept with the answers
            assert f"{key}: {shown(value)}" in (record.description or ""), (key, record.description)


def records_of(session: Session, events: list[ChannelEvent]) -> list[RawLead | Lead]:
    out: list[RawLead | Lead] = []
    for event in events:
        if event.lead_id is not None:
            out.append(session.get(Lead, event.lead_id))  # type: ignore[arg-type]
        elif event.raw_lead_id is not None:
            out.append(session.get(RawLead, event.raw_lead_id))  # type: ignore[arg-type]
    return out


def replay_one(replay: Replay, name: str, form_key: str | None = None) -> tuple[str, list[ChannelEvent], bytes,
                                                                               dict[str, str], str]:
    spec = EXPECTED[name]
    body = (PAYLOADS / name).read_bytes()
    path, channel = route_of(name, form_key)
    headers = {**signed_headers(channel, body, spec["content_type"]), **(spec.get("headers") or {})}
    keys = event_keys(channel, body, headers)
    forget(replay.engine)
    serve_fakes(spec, body)
    response = httpx.post(replay.base + path, content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": len(set(keys)), "duplicates": len(keys) - len(set(keys))}
    return path, settled(replay.engine, channel, keys), body, headers, channel


@pytest.mark.parametrize("name", list(EXPECTED))
def test_collected_payload_arrives_whole(replay: Replay, name: str) -> None:
    spec = EXPECTED[name]
    path, events, body, headers, _channel = replay_one(replay, name)
    assert [e.status for e in events if e.status == "failed"] == [], [e.error for e in events]
    with Session(replay.engine) as s:
        if spec.get("ignored"):
            assert {e.status for e in events} == {"ignored"}
            assert all(e.raw_lead_id is None and e.lead_id is None for e in events)
            lookups = [x for x in fakes.LOOKUPS if not x.startswith("graph:444444444444")]
            assert lookups == [], lookups  # a receipt or echo costs no profile look-up
        else:
            assert {e.status for e in events} == {"processed"}, [(e.status, e.error) for e in events]
            found = records_of(s, events)
            assert len(found) == len(spec["records"])
            for record, want in zip(found, spec["records"], strict=True):
                check_record(s, record, want)
    # The sender retries (it missed our 200): nothing new is stored or created.
    before = counts(replay.engine)
    again = httpx.post(replay.base + path, content=body, headers=headers, timeout=30)
    assert again.status_code == 200 and again.json()["stored"] == 0
    time.sleep(0.3)
    assert counts(replay.engine) == before


def test_admin_mapping_reads_a_form_of_field_ids(replay: Replay) -> None:
    name = "forms/gravityforms_all_fields.gravitypdf.json"
    _path, events, *_ = replay_one(replay, name, form_key=MAPPED_FORM)
    with Session(replay.engine) as s:
        [record] = records_of(s, events)
        check_record(s, record, EXPECTED[name]["with_mapping"]["records"][0])


def test_attribution_is_filterable_in_the_list(replay: Replay) -> None:
    from crm_app.models import User
    from crm_app.services import leads as leads_service
    from crm_app.services.auth import Actor
    from crm_app.services.raw_leads.query import ListQuery, filtered

    replay_one(replay, "meta/leadgen_batch2.docs.json")  # two leads of form 12312312312
    with Session(replay.engine) as s:
        admin = Actor.of(s.exec(select(User).where(User.role == "admin")).first())  # type: ignore[arg-type]

        def listed(conditions: list[dict[str, Any]]) -> int:
            query = ListQuery(conditions=conditions)
            found = s.exec(select(func.count()).select_from(Lead).where(
                *leads_service.filtered(s, admin, query))).one()
            return found + s.exec(select(func.count()).select_from(RawLead).where(
                *filtered(s, admin, query))).one()

        assert listed([{"field": "ad_form_id", "op": "eq", "value": "12312312312"}]) == 2
        assert listed([{"field": "ad_form_id", "op": "eq", "value": "99"}]) == 0
        assert listed([{"field": "ad_adset_id", "op": "eq", "value": "12312312312"},
                       {"field": "ad_page_id", "op": "eq", "value": "123123123"}]) == 2


# ---------------------------------------------------------------- hostile bodies, every route

DEEP_OBJECT = b'{"a":' * 400 + b"1" + b"}" * 400
DEEP_ARRAY = b"[" * 600 + b"]" * 600
HOSTILE: dict[str, tuple[bytes, str]] = {
    "deep_object": (DEEP_OBJECT, "application/json"),
    "deep_array": (DEEP_ARRAY, "application/json"),
    "deep_in_valid_envelope": (b'{"object":"page","entry":' + b"[" * 300 + b"]" * 300 + b"}", "application/json"),
    "empty": (b"", "application/json"),
    "whitespace": (b"  \r\n ", "application/json"),
    "urlencoded_as_json": (b"name=An&phone=0912345678", "application/json"),
    "json_as_urlencoded": (b'{"event_name":"follow"}', "application/x-www-form-urlencoded"),
    "multipart_without_boundary": (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--",
                                   "multipart/form-data"),
    "not_utf8": (b"\xff\xfe{\x00", "application/json"),
    "xml": (b"<lead><phone>0912345678</phone></lead>", "application/xml"),
    "json_scalar": (b"12345", "application/json"),
}
ROUTES = {"zalo": "/api/webhooks/zalo", "facebook": "/api/webhooks/facebook", "hana": "/api/webhooks/chatbot/hana",
          "botbanhang": "/api/webhooks/chatbot/botbanhang", "form": f"/api/webhooks/forms/{FORMS['Webform']}"}


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_body_is_refused_before_processing(replay: Replay, route: str, kind: str, signed: bool) -> None:
    body, content_type = HOSTILE[kind]
    headers = signed_headers(route, body, content_type) if signed else {"Content-Type": content_type}
    before = counts(replay.engine)
    log_size = replay.log_path.stat().st_size
    response = httpx.post(replay.base + ROUTES[route], content=body, headers=headers, timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if signed:
        assert response.status_code == 400  # refused for the body, not for the credentials
        assert response.json().get("detail")  # a clear message, no stack
    assert counts(replay.engine) == before  # nothing stored
    with replay.log_path.open("rb") as log:
        log.seek(log_size)
        assert b"Traceback" not in log.read()
