"""The Zalo OA connection against the fake Zalo OAuth + OA API server (tests/fakes.py), on SQLite
and PostgreSQL: connect (PKCE round trip), expiry, one refresh, two workers at once, -14020."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ZaloConnection, utcnow
from crm_app.services import tasks, zalo_oa
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.channels.lookups import HttpLookups
from crm_app.settings import get_settings
from tests.apprunner import ROOT
from tests.fakes import ZALO_NAMES, ZALO_OA_ID, ZALO_OAUTH, ZALO_TOKEN, channel_env, fake_providers

ORIGIN = "https://crm.example.vn"
UID = next(iter(ZALO_NAMES))


@pytest.fixture
def zalo(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with fake_providers() as providers_url:
        for key, value in channel_env(providers_url).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.delenv("CRM_PUBLIC_ORIGIN", raising=False)
        monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
        get_settings.cache_clear()
        ZALO_OAUTH.reset()
        try:
            yield engine
        finally:
            ZALO_OAUTH.reset()
            get_settings.cache_clear()


@pytest.fixture
def admin(demo_users: dict[str, int]) -> Actor:
    return Actor(id=demo_users["admin"], username="admin", full_name="Quản trị", role="admin")


def consent(permission_url: str) -> dict[str, str]:
    """The admin's browser on Zalo's consent page: Zalo redirects back with code, state, oa_id."""
    answer = httpx.get(permission_url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(ORIGIN + zalo_oa.CALLBACK_PATH + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def connect(engine: Engine, admin: Actor) -> None:
    back = consent(zalo_oa.start_authorization(engine, admin, ORIGIN))
    zalo_oa.complete_authorization(engine, code=back["code"], state=back["state"], oa_id=back["oa_id"])


def row(engine: Engine) -> ZaloConnection:
    with read_session(engine) as session:
        found = session.get(ZaloConnection, zalo_oa.ROW_ID)
        assert found is not None
        return found


def set_expiry(engine: Engine, delta: timedelta) -> None:
    with write_session(engine) as session:
        session.execute(update(ZaloConnection).where(col(ZaloConnection.id) == zalo_oa.ROW_ID)
                        .values(access_expires_at=utcnow() + delta))


def test_connect_round_trip_with_pkce_stores_the_pair_encrypted(zalo: Engine, admin: Actor) -> None:
    url = zalo_oa.start_authorization(zalo, admin, ORIGIN)
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/v4/oa/permission"
    assert query["redirect_uri"] == [ORIGIN + "/api/zalo/oauth/callback"]
    assert len(query["code_challenge"][0]) == 43 and len(query["state"][0]) >= 32  # S256, no padding
    back = consent(url)
    zalo_oa.complete_authorization(zalo, code=back["code"], state=back["state"], oa_id=back["oa_id"])

    with read_session(zalo) as session:
        view = zalo_oa.status(session, admin)
    assert (view.status, view.oa_name, view.oa_id) == ("connected", "CRM Demo OA", ZALO_OA_ID)
    assert view.access_expires_at is not None
    assert timedelta(hours=24) < view.access_expires_at - utcnow() <= timedelta(hours=25)
    assert ZALO_OAUTH.code_calls == 1  # the fake checked the verifier against the challenge
    stored = row(zalo)
    [issued_access] = list(ZALO_OAUTH.access)
    [issued_refresh] = list(ZALO_OAUTH.refresh)
    columns = " ".join(str(v) for v in stored.model_dump().values())
    assert issued_access not in columns and issued_refresh not in columns  # encrypted at rest
    assert stored.pending_state_hash == "" and stored.pending_verifier == ""  # the state is spent
    assert zalo_oa.access_token(zalo).value == issued_access
    assert HttpLookups().zalo_user(UID)["data"]["display_name"] == ZALO_NAMES[UID]
    assert ZALO_OAUTH.refresh_calls == 0


def test_callback_refuses_a_wrong_reused_or_stale_state(zalo: Engine, admin: Actor) -> None:
    back = consent(zalo_oa.start_authorization(zalo, admin, ORIGIN))
    for code, state, key in ((back["code"], "forged-state", "zalo.callback.invalid"),
                             ("", back["state"], "zalo.callback.denied")):
        with pytest.raises(UserError) as refused:
            zalo_oa.complete_authorization(zalo, code=code, state=state)
        assert refused.value.key == key
    zalo_oa.complete_authorization(zalo, code=back["code"], state=back["state"])
    with pytest.raises(UserError) as reused:
        zalo_oa.complete_authorization(zalo, code=back["code"], state=back["state"])
    assert reused.value.key == "zalo.callback.invalid"

    back = consent(zalo_oa.start_authorization(zalo, admin, ORIGIN))
    with write_session(zalo) as session:
        session.execute(update(ZaloConnection).values(pending_at=utcnow() - timedelta(minutes=20)))
    with pytest.raises(UserError) as stale:
        zalo_oa.complete_authorization(zalo, code=back["code"], state=back["state"])
    assert stale.value.key == "zalo.callback.expired"
    assert ZALO_OAUTH.code_calls == 1  # refused states never reach Zalo


def test_a_code_with_the_wrong_verifier_is_refused_by_zalo(zalo: Engine, admin: Actor) -> None:
    back = consent(zalo_oa.start_authorization(zalo, admin, ORIGIN))
    zalo_oa.start_authorization(zalo, admin, ORIGIN)  # a newer attempt: another verifier, the old state gone
    with pytest.raises(UserError):
        zalo_oa.complete_authorization(zalo, code=back["code"], state=back["state"])
    second = consent(zalo_oa.start_authorization(zalo, admin, ORIGIN))
    ZALO_OAUTH.codes[second["code"]] = "not-the-challenge"
    with pytest.raises(UserError) as failed:
        zalo_oa.complete_authorization(zalo, code=second["code"], state=second["state"])
    assert failed.value.key == "zalo.callback.failed" and "-14001" in failed.value.message()
    assert row(zalo).status == "disconnected"


def test_only_admins_manage_the_connection(zalo: Engine, demo_users: dict[str, int]) -> None:
    user = Actor(id=demo_users["thuhuong"], username="thuhuong", full_name="Thu Hương", role="user")
    with pytest.raises(PermissionDenied):
        zalo_oa.start_authorization(zalo, user, ORIGIN)
    with pytest.raises(PermissionDenied), read_session(zalo) as session:
        zalo_oa.status(session, user)
    with pytest.raises(PermissionDenied):
        zalo_oa.disconnect(zalo, user)
    with pytest.raises(PermissionDenied):
        zalo_oa.refresh_now(zalo, user)
    with pytest.raises(PermissionDenied):
        zalo_oa.start_authorization(zalo, None, ORIGIN)


@pytest.mark.parametrize("expired_status", [200, 401])
def test_an_expired_token_is_refreshed_once_and_the_call_retried(
        zalo: Engine, admin: Actor, expired_status: int) -> None:
    connect(zalo, admin)
    before = row(zalo).version
    ZALO_OAUTH.expired_status = expired_status  # -216 in a 200 answer, or HTTP 401
    ZALO_OAUTH.expire_access_tokens()
    assert HttpLookups().zalo_user(UID)["data"]["display_name"] == ZALO_NAMES[UID]
    assert ZALO_OAUTH.refresh_calls == 1
    assert row(zalo).version == before + 1
    assert HttpLookups().zalo_user(UID)["error"] == 0
    assert ZALO_OAUTH.refresh_calls == 1  # the new token is used as it is
    zalo_oa.refresh_now(zalo, admin)  # "Làm mới token": spends the refresh token whatever the expiry
    assert ZALO_OAUTH.refresh_calls == 2 and row(zalo).version == before + 2


def test_a_token_about_to_expire_is_refreshed_before_use_and_by_the_periodic_task(
        zalo: Engine, admin: Actor) -> None:
    connect(zalo, admin)
    set_expiry(zalo, timedelta(hours=20))
    tasks.refresh_zalo_oa_token()  # 20 h left: nothing to do
    assert ZALO_OAUTH.refresh_calls == 0
    set_expiry(zalo, timedelta(minutes=90))
    tasks.refresh_zalo_oa_token()
    assert ZALO_OAUTH.refresh_calls == 1
    assert row(zalo).access_expires_at - utcnow() > timedelta(hours=24)  # type: ignore[operator]
    set_expiry(zalo, timedelta(minutes=2))  # the task did not run in time: the next call refreshes first
    token = zalo_oa.access_token(zalo)
    assert ZALO_OAUTH.refresh_calls == 2 and ZALO_OAUTH.valid(token.value)


def test_two_workers_refreshing_at_the_same_moment_spend_the_refresh_token_once(
        zalo: Engine, admin: Actor) -> None:
    connect(zalo, admin)
    ZALO_OAUTH.expire_access_tokens()
    ZALO_OAUTH.refresh_delay = 0.5  # the first refresh is still under way when the others find the token expired
    start = threading.Barrier(3)
    names: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:  # three events look up a name with the token Zalo now calls expired (-216)
        try:
            start.wait()
            names.append(HttpLookups().zalo_user(UID)["data"]["display_name"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert names == [ZALO_NAMES[UID]] * 3
    assert ZALO_OAUTH.refresh_calls == 1
    assert row(zalo).status == "connected" and row(zalo).refresh_holder == ""


_WORKER = """
import pathlib, sys, time
from crm_app.services.channels.lookups import HttpLookups
ready, go, uid = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
ready.touch()
while not go.exists():
    time.sleep(0.005)
print(HttpLookups().zalo_user(uid)["data"]["display_name"])
"""


def test_two_worker_processes_at_the_same_moment_spend_the_refresh_token_once(
        zalo: Engine, admin: Actor, tmp_path: Path) -> None:
    connect(zalo, admin)
    ZALO_OAUTH.expire_access_tokens()
    ZALO_OAUTH.refresh_delay = 0.5
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(2)]
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(r), str(go), UID], cwd=ROOT, env=dict(os.environ),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in ready]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()  # both processes hold the expired token and call at once
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [out.strip() for out, _ in outputs] == [ZALO_NAMES[UID]] * 2, outputs
    assert ZALO_OAUTH.refresh_calls == 1


def test_two_workers_whose_token_expired_by_the_clock_refresh_once(zalo: Engine, admin: Actor) -> None:
    connect(zalo, admin)
    set_expiry(zalo, timedelta(minutes=30))
    ZALO_OAUTH.refresh_delay = 0.5
    start = threading.Barrier(3)
    seen: list[str] = []

    def worker(i: int) -> None:
        start.wait()
        if i == 0:
            zalo_oa.refresh_if_due(zalo)
        else:
            seen.append(zalo_oa.access_token(zalo).value)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert ZALO_OAUTH.refresh_calls == 1
    assert len(seen) == 2 and all(ZALO_OAUTH.valid(token) for token in seen)


def test_a_spent_refresh_token_marks_the_connection_broken(zalo: Engine, admin: Actor) -> None:
    connect(zalo, admin)
    ZALO_OAUTH.spend_refresh_tokens()  # e.g. a copy of the database elsewhere refreshed first
    ZALO_OAUTH.expire_access_tokens()
    with pytest.raises(zalo_oa.ReauthorizationNeeded):
        HttpLookups().zalo_user(UID)
    assert ZALO_OAUTH.refresh_calls == 1
    with read_session(zalo) as session:
        view = zalo_oa.status(session, admin)
    assert view.status == "broken"
    assert "-14020" in view.last_error and view.last_error_at is not None
    # Broken: no second attempt with the dead refresh token; the bootstrap token stands in meanwhile.
    assert zalo_oa.access_token(zalo) == zalo_oa.Token(ZALO_TOKEN, None)
    assert zalo_oa.refresh_if_due(zalo) is False and ZALO_OAUTH.refresh_calls == 1

    connect(zalo, admin)  # "Kết nối lại"
    with read_session(zalo) as session:
        view = zalo_oa.status(session, admin)
    assert (view.status, view.last_error) == ("connected", "")


def test_without_a_connection_the_bootstrap_token_is_used(zalo: Engine, admin: Actor,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert zalo_oa.access_token(zalo) == zalo_oa.Token(ZALO_TOKEN, None)
    assert HttpLookups().zalo_user(UID)["data"]["display_name"] == ZALO_NAMES[UID]
    connect(zalo, admin)
    zalo_oa.disconnect(zalo, admin)
    assert zalo_oa.access_token(zalo).value == ZALO_TOKEN
    monkeypatch.setenv("CRM_ZALO_OA_ACCESS_TOKEN", "")
    get_settings.cache_clear()
    with pytest.raises(zalo_oa.NotConnected):
        zalo_oa.access_token(zalo)


def test_tokens_codes_and_verifiers_never_reach_the_log(zalo: Engine, admin: Actor,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    connect(zalo, admin)
    ZALO_OAUTH.expire_access_tokens()
    HttpLookups().zalo_user(UID)
    ZALO_OAUTH.spend_refresh_tokens()
    ZALO_OAUTH.expire_access_tokens()
    with pytest.raises(zalo_oa.ZaloOAError):
        HttpLookups().zalo_user(UID)
    secrets_seen = [*ZALO_OAUTH.access, *ZALO_OAUTH.refresh]
    assert len(secrets_seen) == 4
    # The app's own lines and httpx's request lines (httpcore's DEBUG lines are the test's browser
    # reading the fake consent redirect, which carries the code as Zalo's does).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("crm_app", "httpx")))
    assert "refreshed" in logged and "re-authorisation" in logged
    assert not [s for s in secrets_seen if s in logged]
    assert "zcode-" not in logged and "code_verifier" not in logged


def test_a_disconnect_during_a_refresh_is_not_undone_by_it(zalo: Engine, admin: Actor) -> None:
    connect(zalo, admin)
    ZALO_OAUTH.refresh_delay = 1.0
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            zalo_oa.refresh(zalo, seen_version=row(zalo).version)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 20
    while ZALO_OAUTH.refresh_calls == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    zalo_oa.disconnect(zalo, admin)  # while Zalo is still answering the refresh
    thread.join(30)
    assert [type(e) for e in outcome] == [zalo_oa.NotConnected]
    stored = row(zalo)
    assert (stored.status, stored.access_token, stored.refresh_token) == ("disconnected", "", "")


def test_zalo_unreachable_during_a_refresh_keeps_the_connection_and_frees_the_lease(
        zalo: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(zalo, admin)
    monkeypatch.setenv("CRM_ZALO_OAUTH_BASE", "http://127.0.0.1:9")  # nothing listens on the discard port
    get_settings.cache_clear()
    with pytest.raises(zalo_oa.ZaloOAError) as failed:
        zalo_oa.refresh(zalo, seen_version=row(zalo).version)
    assert not isinstance(failed.value, zalo_oa.ReauthorizationNeeded)
    stored = row(zalo)
    assert (stored.status, stored.refresh_holder, stored.refresh_lease_until) == ("connected", "", None)
    assert "Zalo OAuth không trả lời" in stored.last_error
    monkeypatch.setenv("CRM_ZALO_OAUTH_BASE", os.environ["CRM_ZALO_API_BASE"])  # the fake again
    get_settings.cache_clear()
    zalo_oa.refresh(zalo, seen_version=row(zalo).version)  # the next attempt goes through
    assert row(zalo).last_error == "" and ZALO_OAUTH.refresh_calls == 1


def test_tokens_sealed_under_another_key_ask_for_a_reconnect(zalo: Engine, admin: Actor,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connect(zalo, admin)
    monkeypatch.setenv("CRM_SECRET_KEY", "a key that did not seal them")
    get_settings.cache_clear()
    with pytest.raises(zalo_oa.ReauthorizationNeeded):
        HttpLookups().zalo_user(UID)
    with read_session(zalo) as session:
        view = zalo_oa.status(session, admin)
    assert view.status == "broken" and "CRM_SECRET_KEY" in view.last_error
    assert ZALO_OAUTH.refresh_calls == 0
