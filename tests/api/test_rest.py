"""The REST API (issue 17) over HTTP against the running app: filters, visibility, keyset pages
while records arrive, incremental sync, create with idempotency (also across two workers), and
every error status as JSON. `make test` runs this file with the app on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import get_engine, read_session, write_session
from crm_app.models import Lead, RawLead, User
from crm_app.services import api_tokens, conversion, field_settings, org
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from crm_app.services.raw_leads.records import create as create_raw_lead
from crm_app.services.raw_leads.records import delete_records, update_record
from crm_app.services.reference_data import VISIBILITY_ALL, VISIBILITY_OWN
from tests.api.test_database_down import relayed_db  # noqa: F401 - a fixture
from tests.apprunner import RunningApp, start_api

_numbers = itertools.count(100_000 + int(time.time()) % 800_000)


def new_mobile() -> str:
    """A fresh valid mobile (0913xxxxxx) per call: tests share the app's database."""
    return f"0913{next(_numbers) % 1_000_000:06d}"


@pytest.fixture(scope="module")
def db(running_app: RunningApp) -> Engine:
    return get_engine(running_app.database_url)


def actor(db: Engine, username: str) -> Actor:
    with read_session(db) as s:  # a read: callers may hold the write lock
        return Actor.of(s.exec(select(User).where(User.username == username)).one())


@pytest.fixture(scope="module")
def tokens(db: Engine) -> dict[str, str]:
    """admin read-write, admin read-only, and read-only tokens of two salespeople."""
    admin = actor(db, "admin")
    made: dict[str, str] = {}
    with write_session(db) as s:
        for name, owner, write in (("admin", "admin", True), ("admin_ro", "admin", False),
                                   ("thuhuong", "thuhuong", False), ("dung", "dung.vu", False)):
            _, made[name] = api_tokens.create_token(s, admin, name=f"test {name}", owner_id=actor(db, owner).id,
                                                    can_write=write)
    return made


class Api:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base_url}{path}", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        return httpx.post(f"{self.base_url}{path}", json=body, timeout=60, headers=headers)


@pytest.fixture(scope="module")
def api(running_app: RunningApp, tokens: dict[str, str]) -> Api:
    return Api(running_app.base_url, tokens["admin"])


def add_raw(db: Engine, owner: str = "admin", **values: Any) -> RawLead:
    with write_session(db) as s:
        return create_raw_lead(s, actor(db, owner), {"first_name": "Khách", **values})


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# ---------------------------------------------------------------- filters and items

def test_a_phone_written_four_ways_finds_the_record(api: Api, db: Engine) -> None:
    mobile, phone = new_mobile(), new_mobile()
    record = add_raw(db, mobile=mobile, phone=phone)
    national = mobile[1:]
    for spelling in (mobile, f"+84{national}", f"84 {national[:3]} {national[3:6]} {national[6:]}",
                     f"{mobile[:4]}.{mobile[4:7]}.{mobile[7:]}"):
        assert ids(api.get("/api/raw-leads", mobile=spelling)) == [record.id], spelling
    assert ids(api.get("/api/raw-leads", phone=f"(+84) {phone[1:]}")) == [record.id]
    assert ids(api.get("/api/raw-leads", mobile=phone)) == []  # mobile is the Di động field
    assert api.get("/api/raw-leads", mobile="not a phone").json() == {"items": [], "total": 0, "next_cursor": None}


def test_email_status_source_owner_and_quick_search(api: Api, db: Engine) -> None:
    tag = f"zq{next(_numbers)}"
    mine = add_raw(db, owner="thuhuong", email=f"An.{tag}@Example.com", company=f"Công ty {tag}",
                   last_name="Nguyễn Văn", status="Đang chăm sóc", mobile=new_mobile())
    other = add_raw(db, owner="dung.vu", company=f"Xưởng {tag}", mobile=new_mobile())
    assert ids(api.get("/api/raw-leads", email=f"an.{tag}@example.COM")) == [mine.id]
    assert ids(api.get("/api/raw-leads", q=f"nguyen {tag}")) == [mine.id]  # accents and case ignored
    assert ids(api.get("/api/raw-leads", q=tag)) == [mine.id, other.id]
    assert ids(api.get("/api/raw-leads", q=tag, status="Đang chăm sóc")) == [mine.id]
    assert ids(api.get("/api/raw-leads", q=tag, assigned_to="dung.vu")) == [other.id]
    assert ids(api.get("/api/raw-leads", q=tag, assigned_to="nobody")) == []
    assert ids(api.get("/api/raw-leads", q=tag, input_source="Thủ công")) == [mine.id, other.id]
    assert ids(api.get("/api/raw-leads", q=tag, input_source="Zalo OA")) == []


def test_items_carry_every_field_key_e164_phones_iso_times_and_custom_fields(api: Api, db: Engine) -> None:
    admin = actor(db, "admin")
    key = f"nganh_{next(_numbers)}"
    with write_session(db) as s:
        field_settings.add_custom_field(s, admin, key=key, label_vi="Ngành", label_en="Industry", field_type="text")
    mobile = new_mobile()
    record = add_raw(db, mobile=mobile, email="c@example.com", birthday="05/06/1990", **{f"cf_{key}": "Dược"})
    with write_session(db) as s:
        lead = conversion.convert_by_user(s, admin, record.id)
    item = api.get(f"/api/raw-leads/{record.id}").json()
    expected = {f.key for f in _fields(db)} | {"id", "created_at", "modified_at"}
    assert set(item) == expected
    assert (item["mobile"], item["birthday"], item[f"cf_{key}"]) == (f"+84{mobile[1:]}", "1990-06-05", "Dược")
    assert (item["status"], item["converted_lead_id"], item["assigned_to"]) == ("Đã chuyển đổi", lead.id, "admin")
    for stamp in (item["created_at"], item["modified_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() is not None
    lead_item = api.get(f"/api/leads/{lead.id}").json()
    assert (lead_item["raw_lead_id"], lead_item["mobile"], lead_item[f"cf_{key}"]) == (
        record.id, item["mobile"], "Dược")
    assert ids(api.get("/api/leads", mobile=mobile)) == [lead.id]
    schema = httpx.get(f"{api.base_url}/api/openapi.json", timeout=30).json()
    assert f"cf_{key}" in schema["components"]["schemas"]["RawLeadItem"]["properties"]
    assert f"cf_{key}" in schema["components"]["schemas"]["RawLeadCreate"]["properties"]


def _fields(db: Engine) -> list[Any]:
    from crm_app.fields import raw_lead_fields

    with read_session(db) as s:
        return raw_lead_fields(s)


def test_visibility_setting_applies_to_a_users_token(running_app: RunningApp, api: Api, db: Engine,
                                                      tokens: dict[str, str]) -> None:
    tag = f"vis{next(_numbers)}"
    hers = add_raw(db, owner="thuhuong", company=tag, mobile=new_mobile())
    his = add_raw(db, owner="dung.vu", company=tag, mobile=new_mobile())
    huong = Api(running_app.base_url, tokens["thuhuong"])
    admin = actor(db, "admin")
    assert ids(huong.get("/api/raw-leads", q=tag)) == [hers.id, his.id]  # default: everyone sees all
    with write_session(db) as s:
        org.set_visibility(session=s, actor=admin, value=VISIBILITY_OWN)
    try:
        assert ids(huong.get("/api/raw-leads", q=tag)) == [hers.id]
        assert huong.get("/api/raw-leads", q=tag).json()["total"] == 1
        assert huong.get(f"/api/raw-leads/{his.id}").status_code == 404
        assert huong.get(f"/api/raw-leads/{hers.id}").status_code == 200
        assert ids(api.get("/api/raw-leads", q=tag)) == [hers.id, his.id]  # admins see everything
    finally:
        with write_session(db) as s:
            org.set_visibility(session=s, actor=admin, value=VISIBILITY_ALL)


def test_tickets_by_status_owner_and_the_callers_phone(api: Api, db: Engine, running_app: RunningApp,
                                                        tokens: dict[str, str]) -> None:
    from crm_app.models import Ticket

    mobile = new_mobile()
    record = add_raw(db, mobile=mobile)
    with write_session(db) as s:
        owner = actor(db, "thuhuong").id
        ticket = Ticket(subject=f"Gọi lại {mobile}", channel="Webform", raw_lead_id=record.id, assigned_to_id=owner)
        s.add(ticket)
        s.flush()
        ticket_id = ticket.id
    assert ids(api.get("/api/tickets", mobile=f"+84{mobile[1:]}")) == [ticket_id]
    assert ids(api.get("/api/tickets", q=f"gọi lại {mobile}", status="Mới", assigned_to="thuhuong")) == [ticket_id]
    item = api.get(f"/api/tickets/{ticket_id}").json()
    assert (item["raw_lead_id"], item["assigned_to"], item["channel"]) == (record.id, "thuhuong", "Webform")
    assert Api(running_app.base_url, tokens["dung"]).get(f"/api/tickets/{ticket_id}").status_code == 404
    assert Api(running_app.base_url, tokens["thuhuong"]).get(f"/api/tickets/{ticket_id}").status_code == 200


# ---------------------------------------------------------------- pages and sync

def test_pages_over_1200_records_miss_and_repeat_nothing_while_records_arrive(api: Api, db: Engine) -> None:
    tag = f"pg{next(_numbers)}"
    admin = actor(db, "admin")
    with write_session(db) as s:
        before = [create_raw_lead(s, admin, {"first_name": f"Trang {i}", "company": tag}).id for i in range(1200)]
    full = api.get("/api/raw-leads", q=tag, limit=500).json()
    assert (full["total"], len(full["items"])) == (1200, 500)
    stop = threading.Event()
    added: list[int] = []

    def arrive() -> None:
        while not stop.is_set() and len(added) < 300:
            added.append(add_raw(db, company=tag).id)

    writer = threading.Thread(target=arrive)
    writer.start()
    seen: list[int] = []
    pages, cursor = 0, None
    try:
        while True:
            params: dict[str, Any] = {"q": tag, "limit": 97}
            if cursor:
                params["cursor"] = cursor
            answer = api.get("/api/raw-leads", **params)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        writer.join()
    with write_session(db) as s:  # the app's database is shared: leave the dashboard's day as it was
        delete_records(s, admin, before + added)
    assert len(seen) == len(set(seen)), "a record was repeated"
    assert set(before) <= set(seen), f"{len(set(before) - set(seen))} records missed"
    assert seen == sorted(seen)
    assert pages >= 13 and added, (pages, len(added))


def test_updated_since_returns_what_changed(api: Api, db: Engine) -> None:
    tag = f"sync{next(_numbers)}"
    old = add_raw(db, company=tag, mobile=new_mobile())
    untouched = add_raw(db, company=tag, mobile=new_mobile())
    time.sleep(1.1)
    mark = datetime.now(UTC)  # the app runs on this machine: one clock
    time.sleep(0.1)
    with write_session(db) as s:
        update_record(s, actor(db, "admin"), old.id, {"title": "Giám đốc"})
    changed = add_raw(db, company=tag, mobile=new_mobile())
    assert ids(api.get("/api/raw-leads", q=tag, updated_since=mark.isoformat())) == [old.id, changed.id]
    in_hanoi = mark.astimezone(timezone(timedelta(hours=7))).isoformat()
    assert ids(api.get("/api/raw-leads", q=tag, updated_since=in_hanoi)) == [old.id, changed.id]  # any offset
    assert untouched.id in ids(api.get("/api/raw-leads", q=tag, created_from=untouched.created_at.isoformat()))
    today = datetime.now(UTC).astimezone(raw_leads_tz()).date().isoformat()
    assert ids(api.get("/api/raw-leads", q=tag, created_from=today, created_to=today)) == [old.id, untouched.id,
                                                                                          changed.id]
    assert ids(api.get("/api/raw-leads", q=tag, created_to="2000-01-01")) == []


def raw_leads_tz() -> Any:
    from crm_app.services import clock

    return clock.default_zone()  # the app under test keeps the default organisation zone


# ---------------------------------------------------------------- create

def test_create_goes_through_the_sync_rules_and_the_same_key_twice_makes_one_record(api: Api, db: Engine) -> None:
    mobile = new_mobile()
    body = {"first_name": "Lan", "last_name": "Trần Thị", "mobile": f"+84 {mobile[1:]}", "company": "Hoa Sen",
            "lead_source": "TikTok", "birthday": "31/02/1990", "email": "LAN@example.com"}
    first = api.post("/api/raw-leads", body, key=f"k-{mobile}")
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["action"] == "created_lead"  # default rules: has a phone → Lead
    lead = answer["lead"]
    assert (lead["mobile"], lead["input_source"], lead["company"], lead["lead_source"]) == (
        f"+84{mobile[1:]}", "API", "Hoa Sen", "Không xác định")
    assert "31/02/1990" in lead["description"] and set(answer["warnings"]) == {"lead_source", "birthday"}
    again = api.post("/api/raw-leads", body, key=f"k-{mobile}")
    assert (again.status_code, again.json(), again.headers.get("idempotent-replayed")) == (201, answer, "true")
    assert api.post("/api/raw-leads", {**body, "company": "Khác"}, key=f"k-{mobile}").status_code == 409
    with write_session(db) as s:
        assert len(s.exec(select(Lead).where(Lead.mobile == f"+84{mobile[1:]}")).all()) == 1
    # Without a key, the same person again is a duplicate: the rules overwrite the existing Lead.
    update = api.post("/api/raw-leads", {**body, "title": "Kế toán"})
    assert (update.status_code, update.json()["action"], update.json()["lead_id"]) == (200, "updated_lead", lead["id"])
    assert api.get(f"/api/leads/{lead['id']}").json()["title"] == "Kế toán"


def test_create_without_phone_or_email_is_a_raw_lead(api: Api) -> None:
    answer = api.post("/api/raw-leads", {"first_name": f"Vô danh {next(_numbers)}", "company": "ABC"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["action"] == "created_raw_lead" and body["raw_lead"]["input_source"] == "API"
    assert api.get(f"/api/raw-leads/{body['raw_lead_id']}").json()["company"] == "ABC"


def test_one_key_from_two_workers_at_once_creates_one_record(running_app: RunningApp, db: Engine,
                                                             tokens: dict[str, str], tmp_path: Path) -> None:
    workers = [start_api(running_app.database_url, tmp_path) for _ in range(2)]
    try:
        mobile = new_mobile()
        body = {"first_name": "Đồng thời", "mobile": mobile}
        gate = threading.Barrier(16)

        def send(i: int) -> httpx.Response:
            gate.wait()
            return Api(workers[i % 2][1], tokens["admin"]).post("/api/raw-leads", body, key=f"race-{mobile}")

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(send, range(16)))
    finally:
        for process, _ in workers:
            process.terminate()
            process.wait(timeout=20)
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["lead_id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") is None for a in answers) == 1
    with write_session(db) as s:
        found = s.exec(text("SELECT count(*) FROM leads WHERE mobile = :m"), params={"m": f"+84{mobile[1:]}"}).one()
    assert found[0] == 1


# ---------------------------------------------------------------- errors

def test_every_error_is_json_with_its_status(running_app: RunningApp, api: Api, tokens: dict[str, str],
                                             db: Engine) -> None:
    base = running_app.base_url

    def check(response: httpx.Response, status: int, detail: str) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert detail in response.json()["detail"]
        return response.json()

    check(httpx.get(f"{base}/api/raw-leads", timeout=30), 401, "Thiếu API token")
    assert httpx.get(f"{base}/api/leads", timeout=30).headers["www-authenticate"] == "Bearer"
    check(Api(base, "crm_0123456789ab_forged").get("/api/leads"), 401, "không đúng")
    check(Api(base, tokens["admin_ro"]).post("/api/raw-leads", {"first_name": "X"}), 403, "chỉ có quyền đọc")
    check(api.get("/api/raw-leads/2147483647"), 404, "Không tìm thấy")
    check(api.get("/api/tickets/999999999"), 404, "Không tìm thấy")
    check(httpx.get(f"{base}/api/no-such-thing", timeout=30), 404, "Không có địa chỉ API")
    deleted = check(httpx.delete(f"{base}/api/raw-leads", timeout=30), 405, "không hỗ trợ")
    assert deleted and httpx.delete(f"{base}/api/raw-leads", timeout=30).headers["allow"] == "GET, POST"
    check(httpx.post(f"{base}/api/raw-leads", content=b"{oops", timeout=30,
                     headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"}),
          400, "không phải JSON")
    check(httpx.post(f"{base}/api/raw-leads", content=b"x" * (1024 * 1024 + 1), timeout=30,
                     headers={"Authorization": f"Bearer {tokens['admin']}"}), 413, "vượt quá")
    limit = check(api.get("/api/raw-leads", limit=501), 422, "không hợp lệ")
    assert limit["errors"] == {"query.limit": "Giá trị lớn nhất là 500."}
    assert "query.updated_since" in check(api.get("/api/leads", updated_since="hôm qua"), 422, "")["errors"]
    assert check(api.post("/api/raw-leads", {"first_name": "X", "favourite": "?"}), 422, "")["errors"] == {
        "favourite": "Trường không tồn tại."}
    assert check(api.post("/api/raw-leads", {"mobile": "0912345678"}), 422, "")["errors"] == {
        "first_name": "Thiếu giá trị bắt buộc."}
    admin = actor(db, "admin")
    with write_session(db) as s:
        row, revoked = api_tokens.create_token(s, admin, name="to revoke", owner_id=admin.id, can_write=True)
    assert Api(base, revoked).get("/api/raw-leads", limit=1).status_code == 200
    with write_session(db) as s:
        api_tokens.revoke_token(s, admin, row.id)
    check(Api(base, revoked).get("/api/raw-leads"), 401, "thu hồi")


def test_a_token_over_its_rate_gets_429_with_retry_after(running_app: RunningApp, tokens: dict[str, str],
                                                         tmp_path: Path) -> None:
    process, base = start_api(running_app.database_url, tmp_path,
                              extra_env={"CRM_API_RATE": "1", "CRM_API_BURST": "3", "CRM_API_TOKEN": "bootstrap-7c1e"})
    try:
        statuses = [Api(base, tokens["thuhuong"]).get("/api/leads", limit=1) for _ in range(6)]
        other = Api(base, tokens["dung"]).get("/api/leads", limit=1)  # the limit is per token
        bootstrap = Api(base, "bootstrap-7c1e").get("/api/raw-leads", limit=1)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    refused = statuses[-1]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"] == "Gửi quá nhiều yêu cầu, vui lòng thử lại sau."
    assert other.status_code == 200
    assert bootstrap.status_code == 200  # CRM_API_TOKEN acts as the first admin


def test_last_use_is_recorded(api: Api, db: Engine, tokens: dict[str, str]) -> None:
    api.get("/api/raw-leads", limit=1)
    with write_session(db) as s:
        rows = {r.name: r for r in api_tokens.list_tokens(s, actor(db, "admin"))}
    used = rows["test admin"].last_used_at
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=5)


def test_database_down_is_503_json_with_retry_after(relayed_db: tuple[str, str, Any],  # noqa: F811
                                                    tmp_path: Path) -> None:
    direct, via_relay, relay = relayed_db
    with write_session(get_engine(direct)) as s:
        ensure_demo_users(session=s)  # the bootstrap token acts as the first admin
    process, base = start_api(via_relay, tmp_path, extra_env={"CRM_API_TOKEN": "bootstrap-down"})
    boot = Api(base, "bootstrap-down")
    try:
        assert boot.get("/api/raw-leads", limit=1).status_code == 200
        relay.cut()
        answer = boot.get("/api/raw-leads", limit=1)
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["retry-after"]) > 0 and "cơ sở dữ liệu" in answer.json()["detail"]
        relay.restore()
        deadline = time.monotonic() + 30
        while boot.get("/api/raw-leads", limit=1).status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover"
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=20)
