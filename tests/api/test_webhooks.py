"""Channel webhooks over real HTTP against the real app, with a fake Zalo/Graph API server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm_app.db import get_engine
from crm_app.models import ChannelEvent, Lead, RawLead
from tests.apprunner import RunningApp, start_api
from tests.fakes import (  # noqa: F401
    BBH_SECRET,
    FAILING_LEADGEN,
    FB_PAGE_TOKEN,
    FB_SECRET,
    FB_VERIFY,
    FORM_SECRET,
    HANA_SECRET,
    LEADGEN,
    ZALO_APP_ID,
    ZALO_NAMES,
    ZALO_SECRET,
    ZALO_TOKEN,
)


@pytest.fixture(scope="session")
def app(running_app: RunningApp) -> RunningApp:
    running_app.crm("form", "add", "landing1", "--channel", "Landing page", "--secret", FORM_SECRET)
    running_app.crm("form", "add", "zaloads", "--channel", "Zalo Ads Form", "--secret", "zalo-ads-secret")
    return running_app


@pytest.fixture(scope="session")
def db(app: RunningApp) -> Engine:
    return get_engine(app.database_url)


# ---------------------------------------------------------------- helpers

def zalo_post(app: RunningApp, payload: dict[str, Any], *, ascii_only: bool = False,
              forge: bool = False) -> httpx.Response:
    body = json.dumps(payload, ensure_ascii=ascii_only).encode()
    mac = hashlib.sha256(ZALO_APP_ID.encode() + body + str(payload["timestamp"]).encode()
                         + (b"wrong" if forge else ZALO_SECRET.encode())).hexdigest()
    return httpx.post(f"{app.base_url}/api/webhooks/zalo", content=body, timeout=10,
                      headers={"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})


def fb_post(app: RunningApp, payload: dict[str, Any], *, ascii_only: bool = True) -> httpx.Response:
    # Meta escapes non-ASCII as \uXXXX: the signature covers those exact bytes.
    body = json.dumps(payload, ensure_ascii=ascii_only).encode()
    sig = "sha256=" + hmac.new(FB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{app.base_url}/api/webhooks/facebook", content=body, timeout=10,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})


def events(db: Engine, channel: str, key_part: str = "", form_key: str | None = None) -> list[ChannelEvent]:
    with Session(db) as s:
        query = select(ChannelEvent).where(ChannelEvent.channel == channel)
        if form_key is not None:
            query = query.where(ChannelEvent.form_key == form_key)
        rows = s.exec(query).all()
    return [e for e in rows if key_part in e.event_key]


def settled(db: Engine, channel: str, key_part: str, count: int = 1, form_key: str | None = None
            ) -> list[ChannelEvent]:
    """Processing runs after the 200: wait (bounded) until the events have left "received"."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = events(db, channel, key_part, form_key)
        if len(rows) >= count and all(e.status != "received" for e in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"events not processed: {[(e.event_key, e.status) for e in events(db, channel, key_part)]}")


def raw_leads(db: Engine, **where: str) -> list[RawLead]:
    with Session(db) as s:
        query = select(RawLead)
        for key, value in where.items():
            query = query.where(getattr(RawLead, key) == value)
        return list(s.exec(query).all())


def leads(db: Engine, **where: str) -> list[Lead]:
    with Session(db) as s:
        query = select(Lead)
        for key, value in where.items():
            query = query.where(getattr(Lead, key) == value)
        return list(s.exec(query).all())


# ---------------------------------------------------------------- Zalo

def test_zalo_follow_then_submit_info_converts_to_lead(app: RunningApp, db: Engine) -> None:
    follow = {"oa_id": "388613280879808645", "follower": {"id": 24684588352919792},  # a JSON number > 2^53
              "user_id_by_app": "552172779717587730", "event_name": "follow", "source": "oa_profile",
              "app_id": ZALO_APP_ID, "timestamp": "1543979782740"}
    assert zalo_post(app, follow).status_code == 200
    [event] = settled(db, "zalo", "follow:24684588352919792:")
    assert event.status == "processed", event.error
    [raw] = raw_leads(db, zalo_user_id="24684588352919792")
    assert (raw.zalo_name, raw.first_name, raw.input_source, raw.converted_lead_id) == (
        "Thu Hương", "Thu Hương", "Zalo OA", None)

    submit = {"app_id": ZALO_APP_ID, "sender": {"id": "24684588352919792"}, "recipient": {"id": "388613280879808645"},
              "event_name": "user_submit_info", "timestamp": "1725608800000",
              "info": {"name": "Nguyễn Văn A", "phone": "84912345678", "address": "12 Nguyễn Huệ",
                       "ward": "Phường Bến Nghé", "district": "Quận 1", "city": "Hồ Chí Minh"}}
    assert zalo_post(app, submit).status_code == 200  # raw UTF-8 body
    [event] = settled(db, "zalo", "user_submit_info:24684588352919792:")
    assert event.status == "processed", event.error
    [raw] = raw_leads(db, zalo_user_id="24684588352919792")
    [lead] = leads(db, zalo_user_id="24684588352919792")
    assert raw.converted_lead_id == lead.id and raw.status == "Đã chuyển đổi"
    assert (lead.mobile, lead.first_name, lead.last_name, lead.street, lead.district, lead.province) == (
        "+84912345678", "A", "Nguyễn Văn", "12 Nguyễn Huệ", "Quận 1", "Hồ Chí Minh")
    assert event.lead_id == lead.id and event.raw_lead_id == raw.id


def test_zalo_nested_submit_info_escaped_creates_lead(app: RunningApp, db: Engine) -> None:
    submit = {"app_id": ZALO_APP_ID, "sender": {"id": 24684588352919793}, "recipient": {"id": "1"},
              "event_name": "user_submit_info", "timestamp": "1725608800001",
              "info": {"name": "Lê Minh Tuấn", "phone": "84987654321", "user_dob": "01/02/1990",
                       "full_address": {"user_city": "Hà Nội", "user_ward": "Phường Hoàn Kiếm",
                                        "user_address": "1 Tràng Tiền"}}}
    assert zalo_post(app, submit, ascii_only=True).status_code == 200
    [event] = settled(db, "zalo", "user_submit_info:24684588352919793:")
    assert event.status == "processed", event.error
    [lead] = leads(db, mobile="+84987654321")
    assert (lead.zalo_user_id, lead.first_name, lead.ward, lead.province, lead.input_source) == (
        "24684588352919793", "Tuấn", "Phường Hoàn Kiếm", "Hà Nội", "Zalo OA")


def test_forged_zalo_signature_stores_nothing(app: RunningApp, db: Engine) -> None:
    follow = {"follower": {"id": "99999999999999999"}, "event_name": "follow", "app_id": ZALO_APP_ID,
              "timestamp": "1543979782999"}
    before = len(raw_leads(db))
    assert zalo_post(app, follow, forge=True).status_code == 403
    missing = httpx.post(f"{app.base_url}/api/webhooks/zalo", json=follow, timeout=10)
    assert missing.status_code == 401
    time.sleep(1)
    assert events(db, "zalo", "99999999999999999") == []
    assert raw_leads(db, zalo_user_id="99999999999999999") == [] and len(raw_leads(db)) == before


# ---------------------------------------------------------------- Facebook

def test_facebook_verify_handshake(app: RunningApp) -> None:
    url = f"{app.base_url}/api/webhooks/facebook"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert bad.status_code == 403


def message(mid: str, text: str, psid: object = 6000000000000001) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "PAGE", "time": 1518479195594, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1458692752478,
         "message": {"mid": mid, "text": text}}]}]}


def test_same_delivery_three_times_is_one_event_and_one_record(app: RunningApp, db: Engine) -> None:
    payload = message("mid.1457764197618:41d102a3e1ae206a38", "Xin chào shop")
    with ThreadPoolExecutor(3) as pool:
        statuses = [r.status_code for r in pool.map(lambda _: fb_post(app, payload), range(3))]
    assert statuses == [200, 200, 200]
    assert fb_post(app, payload).json() == {"stored": 0, "duplicates": 1}
    [event] = settled(db, "facebook", "mid.1457764197618:41d102a3e1ae206a38")
    assert event.status == "processed", event.error
    [raw] = raw_leads(db, facebook_psid="6000000000000001")
    assert (raw.facebook_name, raw.first_name, raw.last_name, raw.input_source) == (
        "Nguyễn Cường", "Cường", "Nguyễn", "Facebook")

    # The same person later types a phone number: the raw lead converts.
    assert fb_post(app, message("mid.2", "SĐT của em là 0903 123 456 ạ"), ascii_only=False).status_code == 200
    [event] = settled(db, "facebook", "mid:mid.2")
    assert event.status == "processed", event.error
    [lead] = leads(db, facebook_psid="6000000000000001")
    assert lead.mobile == "+84903123456"
    assert raw_leads(db, facebook_psid="6000000000000001")[0].converted_lead_id == lead.id


def test_leadgen_batch_is_one_event_per_lead(app: RunningApp, db: Engine) -> None:
    payload = {"object": "page", "entry": [{"id": "0", "time": 1588890044, "changes": [
        {"field": "leadgen", "value": {"ad_id": "444444444", "form_id": "444444444444",
                                       "leadgen_id": 444444444444444441, "created_time": 1588890044}},
        {"field": "leadgen", "value": {"leadgen_id": "444444444444444442", "form_id": "1"}}]}]}
    response = fb_post(app, payload)
    assert response.status_code == 200 and response.json() == {"stored": 2, "duplicates": 0}
    rows = settled(db, "facebook", "leadgen:44444444444444444", count=2)
    assert sorted(e.status for e in rows) == ["processed", "processed"]
    [bich] = leads(db, mobile="+84912111222")
    assert (bich.first_name, bich.last_name, bich.email, bich.province, bich.input_source) == (
        "Bích", "Trần Thị", "bich@example.com", "Hà Nội", "Facebook Lead Ads")
    [joe] = leads(db, mobile="+84912111333")
    assert (joe.first_name, joe.last_name) == ("Joe", "Example")


def test_failed_processing_is_kept_and_retried_automatically(app: RunningApp, db: Engine) -> None:
    LEADGEN["444444444444444449"] = [{"name": "full_name", "values": ["Phạm Văn Hậu"]},
                                     {"name": "phone_number", "values": ["+84912111444"]}]
    FAILING_LEADGEN.add("444444444444444449")
    payload = {"object": "page", "entry": [{"id": "0", "time": 1, "changes": [
        {"field": "leadgen", "value": {"leadgen_id": "444444444444444449"}}]}]}
    assert fb_post(app, payload).status_code == 200  # stored: acknowledged even though processing fails
    [event] = settled(db, "facebook", "leadgen:444444444444444449")
    assert event.status == "failed" and "lookup failed" in (event.error or "") and event.next_attempt_at
    assert leads(db, mobile="+84912111444") == []
    FAILING_LEADGEN.clear()  # the provider is back: the queue's retry (5 s, then 15 s...) applies it, no cron
    deadline = time.monotonic() + 60
    while (event := events(db, "facebook", "leadgen:444444444444444449")[0]).status != "processed":
        assert time.monotonic() < deadline, (event.status, event.attempts, event.error)
        time.sleep(0.5)
    assert event.attempts >= 2 and event.error is None and event.next_attempt_at is None
    assert len(leads(db, mobile="+84912111444")) == 1


# ---------------------------------------------------------------- chatbots

def hana(lead_id: str, name: str, phone: str | None = None) -> dict[str, Any]:
    lead: dict[str, Any] = {"id": {"nomalizeData": lead_id, "rawData": lead_id},
                            "baseName": {"nomalizeData": name, "rawData": name}}
    if phone:
        lead["phoneNumber"] = {"nomalizeData": phone, "rawData": phone}
    return {"application": {"id": "dbd9a5f7-0000"}, "lead": lead,
            "conversation": {"conversationUrl": "https://hana.test/c/1"}}


def test_hana_conversation_creates_then_converts(app: RunningApp, db: Engine) -> None:
    url = f"{app.base_url}/api/webhooks/chatbot/hana"
    lead_id = "e734c76a-aaaa-bbbb-cccc-000000000001"
    first = hana(lead_id, "Toàn Truyền")
    assert httpx.post(url, json=first, headers={"X-Webhook-Token": HANA_SECRET}, timeout=10).status_code == 200
    settled(db, "hana", lead_id)
    psid = lead_id.replace("-", "")  # no PSID from Hana: the conversation's lead id stands for it
    [raw] = raw_leads(db, facebook_psid=psid)
    assert raw.input_source == "Hana"
    assert (raw.facebook_name, raw.first_name, raw.last_name, raw.converted_lead_id) == (
        "Toàn Truyền", "Truyền", "Toàn", None)

    later = hana(lead_id, "Toàn Truyền", phone="84912999888")
    assert httpx.post(url, json=later, params={"token": HANA_SECRET}, timeout=10).status_code == 200
    rows = settled(db, "hana", lead_id, count=2)
    assert all(e.status == "processed" for e in rows), [e.error for e in rows]
    [raw] = raw_leads(db, facebook_psid=psid)
    [lead] = leads(db, mobile="+84912999888")
    assert raw.converted_lead_id == lead.id and lead.facebook_name == "Toàn Truyền"
    assert httpx.post(url, json=later, headers={"X-Webhook-Token": "wrong"}, timeout=10).status_code == 403
    assert httpx.post(url, json=later, timeout=10).status_code == 401
    assert httpx.post(f"{app.base_url}/api/webhooks/chatbot/other", json=later, timeout=10).status_code == 404


def test_botbanhang_client_then_order(app: RunningApp, db: Engine) -> None:
    url = f"{app.base_url}/api/webhooks/chatbot/botbanhang"
    client = {"event": "client:new", "data": {"id": 2215616798496070, "first_name": "Cường",
                                              "last_name": "Nguyễn", "gender": "male"}}
    assert httpx.post(url, json=client, params={"token": BBH_SECRET}, timeout=10).status_code == 200
    settled(db, "botbanhang", "client:new:2215616798496070")
    [raw] = raw_leads(db, facebook_psid="2215616798496070")
    assert (raw.input_source, raw.facebook_name) == ("Botbanhang", "Nguyễn Cường")


# ---------------------------------------------------------------- forms

def test_form_signed_token_and_urlencoded(app: RunningApp, db: Engine) -> None:
    url = f"{app.base_url}/api/webhooks/forms/landing1"
    body = json.dumps({"Họ và tên": "Lê Thị Mai", "Số điện thoại": "0912 345 600", "Email": "mai@example.com",
                       "url_page": "https://lp.test"}, ensure_ascii=False).encode()
    sig = "sha256=" + hmac.new(FORM_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Signature": sig, "X-Timestamp": str(int(time.time()))}
    assert httpx.post(url, content=body, headers=headers, timeout=10).status_code == 200
    assert httpx.post(url, content=body, headers=headers, timeout=10).json() == {"stored": 0, "duplicates": 1}
    [event] = settled(db, "form", "", form_key="landing1")
    assert event.event_key == hashlib.sha256(body).hexdigest()  # the form's key has its own column
    [mai] = leads(db, mobile="+84912345600")
    assert (mai.first_name, mai.last_name, mai.email, mai.input_source) == ("Mai", "Lê Thị", "mai@example.com",
                                                                             "Landing page")

    stale = {**headers, "X-Timestamp": str(int(time.time()) - 3600)}
    assert httpx.post(url, content=body + b" ", headers=stale, timeout=10).status_code == 403
    forged = {**headers, "X-Signature": "sha256=" + "0" * 64}
    assert httpx.post(url, content=body + b"  ", headers=forged, timeout=10).status_code == 403

    ladi = {"form_data": [{"name": "ho_ten", "value": "Đỗ An"}, {"name": "sdt", "value": "0987 000 111"}],
            "tracking_form": [{"name": "utm_source", "value": "zalo"}]}
    response = httpx.post(f"{app.base_url}/api/webhooks/forms/zaloads", json=ladi,
                          headers={"Authorization": "Bearer zalo-ads-secret"}, timeout=10)
    assert response.status_code == 200
    encoded = urlencode({"name": "Vũ Hà", "phone": "0977000222"}).encode()
    response = httpx.post(url, content=encoded, params={"token": FORM_SECRET},
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert response.status_code == 200
    settled(db, "form", "", count=3)
    assert leads(db, mobile="+84987000111")[0].input_source == "Zalo Ads Form"
    assert leads(db, mobile="+84977000222")[0].first_name == "Hà"


def test_form_unknown_key_and_oversized_body(app: RunningApp, db: Engine) -> None:
    assert httpx.post(f"{app.base_url}/api/webhooks/forms/nope", json={"phone": "0912345678"},
                      headers={"X-Webhook-Token": "x"}, timeout=10).status_code == 404
    big = json.dumps({"name": "x" * 70_000, "phone": "0912000999"}).encode()
    # A non-ASCII secret cannot travel in a header: the query token (or X-Signature) carries it.
    response = httpx.post(f"{app.base_url}/api/webhooks/forms/landing1", content=big, params={"token": FORM_SECRET},
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert leads(db, mobile="+84912000999") == [] and raw_leads(db, mobile="+84912000999") == []


def test_webhooks_in_openapi(app: RunningApp) -> None:
    spec = httpx.get(f"{app.base_url}/api/openapi.json", timeout=10).json()
    for path in ("/api/webhooks/zalo", "/api/webhooks/facebook", "/api/webhooks/chatbot/{provider}",
                 "/api/webhooks/forms/{form_key}"):
        assert path in spec["paths"]
        for operation in spec["paths"][path].values():
            assert operation.get("description")


def test_database_down_answers_503_so_the_provider_retries(tmp_path: Any) -> None:
    """The API alone (granian, as in bench/webhook_load.py) with a database nobody listens on."""
    server, url = start_api("postgresql://postgres@127.0.0.1:9/none", tmp_path,
                            extra_env={"CRM_CHATBOT_SECRET_HANA": HANA_SECRET})
    try:
        response = httpx.post(f"{url}/api/webhooks/chatbot/hana", json=hana("db-down", "A"),
                              headers={"X-Webhook-Token": HANA_SECRET}, timeout=30)
        assert response.status_code == 503 and response.headers.get("retry-after")
    finally:
        server.terminate()
        server.wait(timeout=20)
