"""Fuzz and property tests: phones, dates, header mapping, the sync rules, the importer on
random/mutated files and every webhook route on random bodies. Each test prints how many cases ran."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import func, select

import crm_app.db
from crm_app.api import build_api, webhooks
from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ChannelEvent, FormConfig, ImportJob, Lead, RawLead, User
from crm_app.services import importer
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from crm_app.services.field_values import parse_date
from crm_app.services.importer.rows import importable_fields
from crm_app.services.incoming import IncomingPerson
from crm_app.services.phones import display_phone, normalise_phone
from crm_app.services.sync_rules import apply_incoming
from crm_app.services.sync_settings import (
    CONDITIONS,
    METHODS,
    ON_MATCH,
    TARGETS_WHEN_MET,
    TARGETS_WHEN_NOT_MET,
    TICKET_KEYS,
    SyncSettings,
    save_config,
)
from crm_app.settings import get_settings
from tests.fakes import (
    BBH_SECRET,
    FB_SECRET,
    FORM_SECRET,
    HANA_SECRET,
    ZALO_APP_ID,
    ZALO_SECRET,
    channel_env,
    fake_providers,
)
from tests.fixtures.importer import HEADERS, actor, data_dir, options, run_import

__all__ = ["data_dir"]

CASES: Counter[str] = Counter()  # test name → how many cases ran


def report(name: str, minimum: int) -> None:
    print(f"\n[fuzz] {name}: {CASES[name]} cases ran")
    assert CASES[name] >= minimum, f"{name}: only {CASES[name]} cases ran"


def fuzz_settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def is_vietnamese_message(exc: UserError) -> bool:
    msg = exc.message()
    return bool(msg.strip()) and msg != exc.key and "{" not in msg


# ================================================================ phones

E164 = re.compile(r"^\+\d{8,15}$")
MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "032", "033", "034", "035",
                   "036", "037", "038", "039", "070", "076", "077", "078", "079", "081", "082", "083", "084",
                   "085", "056", "058", "059")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

mobiles = st.builds(lambda p, s: p + s, st.sampled_from(MOBILE_PREFIXES),
                    st.text(alphabet="0123456789", min_size=7, max_size=7))
any_value = st.one_of(st.text(), st.integers(), st.floats(), st.text(alphabet="+0123456789 .-()０１２３４５６７８９"))


def _check_phone_output(value: object) -> None:
    out = normalise_phone(value)
    assert out is None or E164.match(out), (value, out)
    assert normalise_phone(out) == out, (value, out)


def test_normalise_phone_never_raises_on_any_text_int_or_float() -> None:
    name = "normalise_phone: any text/int/float (incl. inf, huge ints)"

    @fuzz_settings(300)
    @given(any_value)
    @example(float("inf"))
    @example(10**5000)
    def run(value: object) -> None:
        CASES[name] += 1
        _check_phone_output(value)

    try:
        run()
    finally:
        print(f"\n[fuzz] {name}: {CASES[name]} cases ran")


def test_normalise_phone_never_raises_and_is_e164_and_idempotent() -> None:
    name = "normalise_phone: text/bounded int/finite float"

    @fuzz_settings(600)
    @given(st.one_of(st.text(), st.text(alphabet="+0123456789 .-()０１２３４５６７８９"),
                     st.integers(min_value=-10**40, max_value=10**40), st.floats(allow_infinity=False),
                     mobiles))
    def run(value: object) -> None:
        CASES[name] += 1
        _check_phone_output(value)

    run()
    report(name, 600)


def test_every_written_variant_of_a_vietnamese_mobile_is_the_same_number() -> None:
    name = "normalise_phone: VN mobile variants"

    @fuzz_settings(300)
    @given(mobiles, st.sampled_from(["", " ", "  "]))
    def run(national: str, pad: str) -> None:
        CASES[name] += 1
        expected = "+84" + national[1:]
        rest = national[1:]
        variants: list[object] = [
            national, "84" + rest, "+84" + rest, f"+84 {rest[:3]} {rest[3:6]} {rest[6:]}",
            f"{national[:4]}.{national[4:7]}.{national[7:]}", f"{national[:4]} {national[4:7]} {national[7:]}",
            national.translate(FULL_WIDTH), "+84".translate(FULL_WIDTH) + rest.translate(FULL_WIDTH),
            rest, int(rest), int("84" + rest), float(rest), f"+84 (0) {rest}", "0084" + rest,
            f"{pad}{national}{pad}",
        ]
        for variant in variants:
            assert normalise_phone(variant) == expected, variant
        assert display_phone(expected) == national
        assert normalise_phone(display_phone(expected)) == expected

    run()
    report(name, 300)


def test_display_phone_round_trips() -> None:
    name = "display_phone round trip"

    @fuzz_settings(300)
    @given(st.one_of(mobiles, st.text(alphabet="+0123456789 ", max_size=18), st.integers(0, 10**15)))
    def run(value: object) -> None:
        CASES[name] += 1
        e164 = normalise_phone(value)
        if e164 is None:
            assert display_phone(e164) == ""
            return
        shown = display_phone(e164)
        assert normalise_phone(shown) == e164, (value, e164, shown)

    run()
    report(name, 300)


# ================================================================ dates

def test_parse_date_never_raises_and_returns_a_date_or_none() -> None:
    name = "parse_date: arbitrary text"

    @fuzz_settings(500)
    @given(st.one_of(st.text(), st.text(alphabet="0123456789-/. ", max_size=12),
                     st.from_regex(r"\A\s*\d{1,4}[-/.]\d{1,4}[-/.]\d{1,5}\s*\Z")))
    def run(text: str) -> None:
        CASES[name] += 1
        out = parse_date(text)
        assert out is None or type(out) is date

    run()
    report(name, 500)


def test_parse_date_round_trips_the_documented_formats() -> None:
    name = "parse_date: round trip"

    @fuzz_settings(400)
    @given(st.dates(min_value=date(1000, 1, 1)), st.booleans(), st.sampled_from(["", " ", "\t"]))
    def run(day: date, padded: bool, pad: str) -> None:
        CASES[name] += 1
        written = [day.strftime("%d/%m/%Y"), day.strftime("%d-%m-%Y"), day.isoformat(),
                   f"{day.day}/{day.month}/{day.year:04d}"]
        for text in written:
            assert parse_date(f"{pad}{text}{pad}" if padded else text) == day, text

    run()
    report(name, 400)


# ================================================================ header mapping

def strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@st.composite
def label_variant(draw: st.DrawFn, label: str) -> str:
    text = strip_accents(label) if draw(st.booleans()) else label
    case = draw(st.sampled_from(["keep", "upper", "lower", "title", "mixed"]))
    if case == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        text = "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))
    elif case != "keep":
        text = getattr(text, case)()
    left, right = draw(st.sampled_from(["", " ", "  ", "\t"])), draw(st.sampled_from(["", " ", "   "]))
    return f"{left}{text}{right}"


def test_auto_mapping_maps_label_variants_and_never_maps_two_headers_to_one_field(sqlite_engine: Engine) -> None:
    name = "auto_mapping: label variants"
    with read_session(sqlite_engine) as session:
        fields = importable_fields(session)
        folded = Counter(strip_accents(f.label_vi).lower().strip() for f in fields)
        unique = [f for f in fields if folded[strip_accents(f.label_vi).lower().strip()] == 1]
        assert len(unique) >= 5

        @fuzz_settings(200)
        @given(st.data())
        def run(data: st.DataObject) -> None:
            CASES[name] += 1
            picked = data.draw(st.lists(st.sampled_from(unique), min_size=1, max_size=8))
            pairs = [(f.key, data.draw(label_variant(f.label_vi))) for f in picked]
            pairs = list({h: (k, h) for k, h in reversed(pairs)}.values())[::-1]  # one column per exact header
            headers = [h for _k, h in pairs]
            mapping = importer.auto_mapping(session, headers)
            values = list(mapping.values())
            assert len(values) == len(set(values)), mapping
            expected: dict[str, str] = {}
            for key, header in pairs:  # each field is taken by the first header naming it
                if key not in expected.values():
                    expected[header] = key
            assert mapping == expected, headers

        run()
    report(name, 200)


# ================================================================ the sync rules engine

VI_LETTERS = ("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
              "ùúủũụừứửữựỳýỷỹỵĐĂÂÊÔƠƯ ")
vi_names = st.one_of(st.none(), st.text(alphabet=VI_LETTERS, max_size=40), st.text(max_size=300))
phones = st.one_of(st.none(), st.sampled_from(["0912345678", "0123456789", "+84 912 345 678", "84987654321", "abc",
                                              "", "   ", "+1 202 555 0100", "0912.345.679"]),
                   mobiles, st.text(max_size=30))
emails = st.one_of(st.none(), st.sampled_from(["a@example.com", "A@Example.COM", "b.nguyen@ví-dụ.vn", "not-an-email",
                                              "x@y", ""]), st.emails(), st.text(max_size=300))
identities = st.one_of(st.none(), st.sampled_from(["8581239434812342", "8581239434812343", "1"]),
                       st.text(max_size=80))


def incoming_people() -> st.SearchStrategy[IncomingPerson]:
    return st.builds(
        IncomingPerson,
        channel=st.one_of(st.sampled_from(["Zalo OA", "Webform", "Hana", "Facebook", "Landing page"]),
                          st.text(min_size=1, max_size=100)),
        zalo_user_id=identities, zalo_name=vi_names, facebook_psid=identities, facebook_name=vi_names,
        full_name=vi_names, first_name=vi_names, last_name=vi_names, phone=phones, email=emails,
        street=vi_names, ward=vi_names, district=vi_names, province=vi_names, country=vi_names,
        extra=st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=3),
        ticket_channel=st.sampled_from((*TICKET_KEYS, None)), chatbot_finished=st.booleans(),
    )


def sync_settings(user_ids: list[int]) -> st.SearchStrategy[SyncSettings]:
    return st.builds(
        SyncSettings,
        condition=st.sampled_from(CONDITIONS), target_when_met=st.sampled_from(TARGETS_WHEN_MET),
        target_when_not_met=st.sampled_from(TARGETS_WHEN_NOT_MET), convert_on_update=st.booleans(),
        on_match=st.sampled_from(ON_MATCH),
        assignment_users=st.lists(st.sampled_from(user_ids), unique=True, max_size=len(user_ids)),
        assignment_method=st.sampled_from(METHODS),
        tickets=st.fixed_dictionaries({k: st.booleans() for k in TICKET_KEYS}),
    )


def test_apply_incoming_raises_only_user_errors_and_keeps_links_consistent(sqlite_engine: Engine) -> None:
    name = "apply_incoming: random people x random settings"
    with write_session(sqlite_engine) as session:
        users = ensure_demo_users(session=session)
    with read_session(sqlite_engine) as session:
        admin = Actor.of(session.exec(select(User).where(User.username == "admin")).one())

    @fuzz_settings(100)
    @given(sync_settings(list(users.values())), st.lists(incoming_people(), min_size=1, max_size=3))
    def run(config: SyncSettings, people: list[IncomingPerson]) -> None:
        CASES[name] += 1
        with write_session(sqlite_engine) as session:
            save_config(session, admin, config)
        for person in people:
            try:
                with write_session(sqlite_engine) as session:
                    apply_incoming(session, person, source=f"channel:{person.channel}")
            except UserError as exc:
                assert is_vietnamese_message(exc)
        with read_session(sqlite_engine) as session:
            for raw in session.exec(select(RawLead).where(RawLead.converted_lead_id != None)):  # noqa: E711
                lead = session.get(Lead, raw.converted_lead_id)
                assert lead is not None, f"raw lead {raw.id} points at missing lead {raw.converted_lead_id}"
                assert lead.raw_lead_id == raw.id, (raw.id, lead.id, lead.raw_lead_id)
            if config.on_match == "overwrite":
                zalo = Counter(z for z in session.exec(select(RawLead.zalo_user_id)) if z)
                assert not [z for z, n in zalo.items() if n > 1], zalo

    run()
    report(name, 100)


# ================================================================ the importer on random / mutated files

GOOD_ROWS: list[list[Any]] = [HEADERS, ["Nguyễn", "An", "0912345678", "an@example.com", ""],
                              ["Trần Thị", "Bích", "84987654321", "bich@example.com", "thuhuong"],
                              ["Lê", "Cường", "0123456789", "not-an-email", "nobody"]]


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Dữ liệu"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[Any]]) -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


VALID_XLSX = xlsx_bytes(GOOD_ROWS)
VALID_CSV = csv_bytes(GOOD_ROWS)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "splice", "flip+truncate"]))
    data = bytearray(original)
    if "flip" in how:
        for _ in range(draw(st.integers(1, 8))):
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] ^= 1 << draw(st.integers(0, 7))
    if how == "splice":
        pos = draw(st.integers(0, len(data)))
        data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
    if "truncate" in how:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


fuzz_files = st.one_of(
    st.tuples(st.just(".xlsx"), mutated(VALID_XLSX)),
    st.tuples(st.just(".csv"), mutated(VALID_CSV)),
    st.tuples(st.sampled_from([".xlsx", ".csv"]), st.binary(max_size=2048)),
    st.tuples(st.just(".xlsx"), st.binary(max_size=512).map(lambda b: b"PK\x03\x04" + b)),
    st.tuples(st.just(".csv"), st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.deferred(lambda: parseable_files()),  # random cell contents that do parse: the dry run sees them
)


@pytest.fixture
def users_engine(sqlite_engine: Engine, data_dir: Path) -> Engine:
    with write_session(sqlite_engine) as session:
        ensure_demo_users(session=session)
    return sqlite_engine


def test_importer_refuses_random_and_mutated_files_with_a_user_error_only(users_engine: Engine,
                                                                            tmp_path: Path) -> None:
    name = "importer: random/mutated files (inspect + dry run)"
    who = actor(users_engine)
    outcomes: Counter[str] = Counter()

    @fuzz_settings(60)
    @given(fuzz_files)
    def run(file: tuple[str, bytes]) -> None:
        CASES[name] += 1
        suffix, content = file
        path = tmp_path / f"fuzz-{CASES[name]}{suffix}"
        path.write_bytes(content)
        with read_session(users_engine) as session:
            before = session.exec(select(func.count()).select_from(RawLead)).one()
        try:
            info = importer.inspect_file(path)
            outcomes["inspected"] += 1
            assert info.total >= 1 and info.headers
            result = importer.dry_run(users_engine, path=path, options=options(users_engine, info.headers),
                                      actor=who)
            outcomes["dry_run"] += 1
            assert result.created + result.failed + result.skipped <= result.total
        except UserError as exc:
            outcomes["UserError"] += 1
            assert is_vietnamese_message(exc), exc.key
        with read_session(users_engine) as session:
            assert session.exec(select(func.count()).select_from(RawLead)).one() == before

    run()
    print(f"\n[fuzz] importer outcomes: {dict(outcomes)}")
    report(name, 60)


cell_text = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
                      st.sampled_from(["", "0912345678", "thuhuong", "admin", "a@b.vn", "31/02/2024", "=1+1"]),
                      mobiles)


@st.composite
def parseable_files(draw: st.DrawFn) -> tuple[str, bytes]:
    rows = draw(st.lists(st.lists(cell_text, min_size=0, max_size=7), min_size=1, max_size=12))
    rows = [HEADERS, *rows]
    if draw(st.booleans()):
        return ".xlsx", xlsx_bytes(rows)
    return ".csv", csv_bytes(rows)


def test_run_job_on_mutated_parseable_files_writes_whole_rows_or_nothing(users_engine: Engine,
                                                                         tmp_path: Path) -> None:
    name = "importer: run_job on mutated parseable files"
    who = actor(users_engine)
    outcomes: Counter[str] = Counter()

    @fuzz_settings(20)
    @given(parseable_files(), st.sampled_from([1, 3, 1000]))
    def run(file: tuple[str, bytes], batch_size: int) -> None:
        CASES[name] += 1
        suffix, content = file
        path = tmp_path / f"job-{CASES[name]}{suffix}"
        path.write_bytes(content)
        with read_session(users_engine) as session:
            before = session.exec(select(func.count()).select_from(RawLead)).one()
        try:
            headers = importer.inspect_file(path).headers
            result = run_import(users_engine, path, who, options(users_engine, headers), batch_size=batch_size)
            outcomes["done"] += 1
            assert result.created + result.failed == result.total, result
        except UserError as exc:
            outcomes["UserError"] += 1
            assert is_vietnamese_message(exc), exc.key
        with read_session(users_engine) as session:
            after = session.exec(select(func.count()).select_from(RawLead)).one()
            job = session.exec(select(ImportJob).where(ImportJob.original_name == path.name)).first()
        if job is None:  # refused before a job existed
            assert after == before, (after, before)
        else:  # every row the job says it created is there, and nothing else was written
            assert job.status in ("done", "failed"), job.status
            assert after - before == job.created, (after, before, job.created, job.status, job.error)

    run()
    print(f"\n[fuzz] run_job outcomes: {dict(outcomes)}")
    report(name, 20)


# ================================================================ webhooks

ALLOWED = {200, 400, 401, 403, 404, 413, 422, 503}
FORM_KEY = "landing1"


@pytest.fixture
def webhook_client(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with fake_providers() as providers_url:
        for key, value in channel_env(providers_url).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
        get_settings.cache_clear()
        original = crm_app.db.get_engine
        swap = lambda url=None: sqlite_engine if url is None else original(url)  # noqa: E731
        monkeypatch.setattr(crm_app.db, "get_engine", swap)
        monkeypatch.setattr(webhooks, "get_engine", swap)
        with write_session(sqlite_engine) as session:
            ensure_demo_users(session=session)
            session.add(FormConfig(key=FORM_KEY, channel="Landing page", secret=FORM_SECRET))
        try:
            yield TestClient(build_api(), raise_server_exceptions=False)
            settle(sqlite_engine)  # background processing must finish before the database goes
        finally:
            get_settings.cache_clear()


def settle(engine: Engine, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session(engine) as session:
            if not session.exec(select(func.count()).select_from(ChannelEvent)
                                .where(ChannelEvent.status == "received")).one():
                return
        time.sleep(0.2)


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=40), mobiles, st.emails())
json_any = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                        max_leaves=12)
zalo_shaped = st.fixed_dictionaries({
    "app_id": st.one_of(st.just(ZALO_APP_ID), json_any),
    "event_name": st.one_of(st.sampled_from(["follow", "unfollow", "user_send_text", "user_submit_info",
                                             "user_send_image"]), json_any),
    "timestamp": st.one_of(st.integers(0, 2 * 10**12).map(str), json_any),
    "sender": st.one_of(st.fixed_dictionaries({"id": st.one_of(st.text("0123456789", min_size=1, max_size=20),
                                                               json_any)}), json_any),
    "follower": st.one_of(st.fixed_dictionaries({"id": st.text("0123456789", max_size=20)}), json_any),
    "message": st.one_of(st.fixed_dictionaries({"msg_id": json_any, "text": json_any}), json_any),
    "info": st.one_of(st.fixed_dictionaries({"name": json_any, "phone": json_any, "address": json_any}), json_any),
})
fb_shaped = st.fixed_dictionaries({
    "object": st.one_of(st.just("page"), json_any),
    "entry": st.one_of(st.lists(st.fixed_dictionaries({
        "id": json_any, "time": json_any,
        "messaging": st.one_of(st.lists(st.fixed_dictionaries({
            "sender": st.one_of(st.fixed_dictionaries({"id": st.text("0123456789", max_size=17)}), json_any),
            "message": st.one_of(st.fixed_dictionaries({"mid": json_any, "text": json_any,
                                                        "is_echo": st.booleans()}), json_any)}), max_size=3),
            json_any),
        "changes": st.one_of(st.lists(st.fixed_dictionaries({
            "field": st.one_of(st.just("leadgen"), json_any),
            "value": st.one_of(st.fixed_dictionaries({"leadgen_id": json_any, "page_id": json_any}), json_any)}),
            max_size=3), json_any),
    }), max_size=3), json_any),
})
flat_form = st.dictionaries(st.sampled_from(["phone", "sdt", "Số điện thoại", "name", "Họ và tên", "email",
                                             "address", "form_data", "tracking_form", "note"]) | st.text(max_size=12),
                            json_any, max_size=6)
bodies = st.one_of(
    st.binary(max_size=600),
    json_any.map(lambda v: json.dumps(v).encode()),
    zalo_shaped.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    fb_shaped.map(lambda v: json.dumps(v).encode()),
    flat_form.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    flat_form.map(lambda v: "&".join(f"{k}={v}" for k, v in v.items()).encode("utf-8", "surrogatepass")),
)
KNOWN_ROUTES = ["zalo", "facebook", "chatbot/hana", "chatbot/botbanhang", f"forms/{FORM_KEY}"]
random_chatbot = st.builds(lambda p: f"chatbot/{p}", st.text("abcxyz-_", min_size=1, max_size=12))
random_form = st.builds(lambda p: f"forms/{p}", st.text("abcdefgh0123456789-_", min_size=1, max_size=70))
# Mostly routes that exist (4 in 5), sometimes an unknown provider or form key.
routes = st.sampled_from([*KNOWN_ROUTES * 4, "?chatbot", "?form"]).flatmap(
    lambda r: random_chatbot if r == "?chatbot" else random_form if r == "?form" else st.just(r))


def signed_headers(route: str, body: bytes, mode: str, how: str, stamp: str | None) -> tuple[dict[str, str], str]:
    """Headers (and query string) for `route`: mode "valid" signs with the right secret, "forged"
    with a wrong one, "missing" sends none."""
    headers = {"Content-Type": "application/json"}
    query = ""
    if mode == "missing":
        return headers, query
    wrong = b"-wrong" if mode == "forged" else b""
    if route == "zalo":
        try:
            data = json.loads(body)
            timestamp = str(data.get("timestamp", "")) if isinstance(data, dict) else ""
        except (UnicodeDecodeError, ValueError):
            timestamp = ""
        mac = hashlib.sha256(ZALO_APP_ID.encode() + body + timestamp.encode() + ZALO_SECRET.encode() + wrong)
        headers["X-ZEvent-Signature"] = f"mac={mac.hexdigest()}"
    elif route == "facebook":
        sig = hmac.new(FB_SECRET.encode() + wrong, body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={sig}"
    elif route.startswith("chatbot/"):
        secret = (BBH_SECRET if route.endswith("botbanhang") else HANA_SECRET) + wrong.decode()
        if how == "query":
            query = f"?token={secret}"
        else:
            headers["X-Webhook-Token"] = secret
    else:
        secret = FORM_SECRET + wrong.decode()
        if how == "signature":
            headers["X-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            if stamp is not None:
                headers["X-Timestamp"] = stamp
        elif how == "bearer":
            headers["Authorization"] = f"Bearer {secret}"
        elif how == "query":
            query = "?token=" + secret
        else:
            headers["X-Webhook-Token"] = secret
    return headers, query


stamps = st.one_of(st.none(), st.just(str(int(time.time()))), st.text(max_size=12).filter(str.isprintable),
                   st.integers(-10**12, 10**12).map(str))


def post(client: TestClient, route: str, body: bytes, headers: dict[str, str], query: str) -> int:
    raw = {k: v.encode() for k, v in headers.items()}  # the form secret is not ASCII: send its UTF-8 bytes
    return client.post(f"/api/webhooks/{route}{query}", content=body, headers=raw).status_code


def test_webhooks_never_answer_500_to_random_bodies(webhook_client: TestClient, sqlite_engine: Engine) -> None:
    name = "webhooks: random bodies, valid/forged/missing signatures"
    statuses: Counter[int] = Counter()
    unavailable: list[tuple[object, ...]] = []

    @fuzz_settings(120)
    @given(routes, bodies, st.sampled_from(["valid", "valid", "forged", "missing"]),
           st.sampled_from(["header", "query", "bearer", "signature"]), stamps)
    @example("zalo", b"x" * 70_000, "valid", "header", None)
    def run(route: str, body: bytes, mode: str, how: str, stamp: str | None) -> None:
        CASES[name] += 1
        headers, query = signed_headers(route, body, mode, how, stamp)
        status = post(webhook_client, route, body, headers, query)
        statuses[status] += 1
        if status == 503:  # allowed, but the database here is healthy: worth a look
            unavailable.append((route, body, mode, how, stamp))
        assert status in ALLOWED, (route, body[:200], mode, how, stamp, status)

    run()
    settle(sqlite_engine)
    with read_session(sqlite_engine) as session:
        failed = session.exec(select(ChannelEvent.channel, ChannelEvent.error)
                              .where(ChannelEvent.status == "failed")).all()
    print(f"\n[fuzz] webhook statuses: {dict(statuses)}; events failed in processing: {len(failed)} "
          f"{sorted(Counter((c, (e or '').split(':')[0]) for c, e in failed).items())}")
    # A body the provider format does not fit is refused as BadPayload; a crash is a bug.
    if unavailable:
        print(f"[fuzz] 503 on a healthy database for: {unavailable}")
    crashes = [(c, e) for c, e in failed if not (e or "").startswith("BadPayload")]
    assert not crashes, crashes
    report(name, 120)


def test_forged_or_unsigned_webhooks_store_nothing(webhook_client: TestClient, sqlite_engine: Engine) -> None:
    name = "webhooks: forged/unsigned requests"
    statuses: Counter[int] = Counter()

    @fuzz_settings(50)
    @given(routes, bodies, st.sampled_from(["forged", "missing"]), st.sampled_from(["header", "query", "bearer",
                                                                                    "signature"]), stamps)
    def run(route: str, body: bytes, mode: str, how: str, stamp: str | None) -> None:
        CASES[name] += 1
        headers, query = signed_headers(route, body, mode, how, stamp)
        status = post(webhook_client, route, body, headers, query)
        statuses[status] += 1
        assert status in ALLOWED - {200}, (route, body[:200], mode, how, status)
        with read_session(sqlite_engine) as session:
            assert session.exec(select(func.count()).select_from(ChannelEvent)).one() == 0
            assert session.exec(select(func.count()).select_from(RawLead)).one() == 0

    run()
    print(f"\n[fuzz] forged webhook statuses: {dict(statuses)}")
    report(name, 50)



# Meta escapes every non-ASCII character as \\uXXXX, so a lone surrogate escape is valid JSON a signed
# delivery can carry (json.dumps with ensure_ascii writes exactly that).
surrogate_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=6).map(lambda t: t + "\ud800")
with_surrogates = st.recursive(st.one_of(json_leaf, surrogate_text), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
fb_with_surrogates = st.fixed_dictionaries({"object": st.just("page"), "entry": st.lists(st.fixed_dictionaries({
    "id": with_surrogates, "messaging": st.lists(st.fixed_dictionaries({
        "sender": st.fixed_dictionaries({"id": with_surrogates}),
        "message": st.fixed_dictionaries({"mid": with_surrogates, "text": with_surrogates})}), max_size=2),
    "changes": st.lists(st.fixed_dictionaries({"field": st.just("leadgen"), "value": st.fixed_dictionaries(
        {"leadgen_id": with_surrogates})}), max_size=2)}), min_size=1, max_size=2)})
zalo_with_surrogates = st.fixed_dictionaries({
    "event_name": st.sampled_from(["user_send_text", "follow", "user_submit_info"]), "timestamp": st.just("1"),
    "sender": st.fixed_dictionaries({"id": with_surrogates}),
    "message": st.fixed_dictionaries({"msg_id": with_surrogates, "text": with_surrogates}),
    "info": st.fixed_dictionaries({"name": with_surrogates, "phone": with_surrogates})})
surrogate_bodies = st.one_of(zalo_with_surrogates, fb_with_surrogates, flat_form,
                             with_surrogates.filter(lambda v: isinstance(v, dict)),
                             ).map(lambda v: json.dumps(v, ensure_ascii=True).encode())


def test_webhooks_never_answer_500_to_bodies_with_lone_surrogate_escapes(webhook_client: TestClient) -> None:
    name = "webhooks: signed bodies with lone surrogate escapes"
    statuses: Counter[int] = Counter()

    @fuzz_settings(40)
    @given(st.sampled_from(KNOWN_ROUTES), surrogate_bodies)
    @example("facebook", b'{"object": "page", "entry": [{"id": null, "messaging": [{"sender": {"id": null}, '
                         b'"message": {"mid": null, "text": "\\ud800"}}], "changes": []}]}')  # shrunk by hypothesis
    @example("zalo", b'{"timestamp": "1", "message": {"msg_id": "\\ud800"}}')
    def run(route: str, body: bytes) -> None:
        CASES[name] += 1
        headers, query = signed_headers(route, body, "valid", "header", None)
        status = post(webhook_client, route, body, headers, query)
        statuses[status] += 1
        assert status in ALLOWED, (route, body, status)

    try:
        run()
    finally:
        print(f"\n[fuzz] {name}: {CASES[name]} cases ran; statuses {dict(statuses)}")
