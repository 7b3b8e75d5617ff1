"""Shared fixtures: real SQLite and PostgreSQL databases, migrated the way `crm db upgrade` does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import get_engine, write_session
from crm_app.services import migrations
from crm_app.services.auth import Actor
from tests.apprunner import ROOT, RedisServer, RunningApp, start_app
from tests.fakes import channel_env, fake_providers
from tests.people import actor

PG_SERVER_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Each pytest process works in a database of its own, made from the `test` database's server:
# two runs at once (a developer and CI, or two developers) must not reset each other's schema.
PG_URL = PG_SERVER_URL.rsplit("/", 1)[0] + f"/crm_test_{os.getpid()}"


def _create_own_database(url: str = PG_URL) -> None:
    server = get_engine(PG_SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))


def _drop_own_database(url: str = PG_URL) -> None:
    get_engine(url).dispose()
    server = get_engine(PG_SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


@pytest.fixture(scope="session", autouse=True)
def own_postgres_database() -> Iterator[None]:
    _create_own_database()
    yield
    _drop_own_database()


def _reset_postgres(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_database(kind: str, tmp_path: Path) -> str:
    """A freshly migrated database; PostgreSQL must be reachable (no silent skip)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
    else:
        url = PG_URL
        _reset_postgres(url)
    migrations.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = make_database(request.param, tmp_path)
    eng = get_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = get_engine(make_database("sqlite", tmp_path))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and asserting; commit explicitly to make data visible."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo_users(engine: Engine) -> dict[str, int]:
    from crm_app.services.demo import ensure_demo_users

    with write_session(engine) as s:
        return ensure_demo_users(session=s)


@pytest.fixture
def people(engine: Engine, demo_users: dict[str, int]) -> dict[str, Actor]:
    """An admin and two salespeople (thuhuong, dung.vu) as callers; a module may define its own."""
    with write_session(engine) as s:
        return {u: actor(s, u) for u in ("admin", "thuhuong", "dung.vu")}


@pytest.fixture(scope="session")
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The real app, built and served once per test session, with a throw-away database and the
    channel settings pointing at a local fake Zalo/Graph server. Only one: the built frontend
    bakes its backend port, so a second app in the same session would break the first's pages."""
    env_db: dict[str, str] = {}
    app_pg_url = PG_URL + "_app"  # its own: unit tests reset the per-process database's schema
    if os.environ.get("CRM_TEST_APP_DB") == "postgresql":
        # The API suite runs a second time with the app on PostgreSQL (make test does both).
        _create_own_database(app_pg_url)
        env_db["DATABASE_URL"] = app_pg_url
    with fake_providers() as providers_url:
        # The sweep runs once, when the app's consumer starts; a test that needs it runs it (e2e wizard).
        app = start_app(tmp_path_factory.mktemp("app"), extra_env={**channel_env(providers_url), **env_db,
                                                                   "CRM_QUEUE_SWEEP_SECONDS": "86400"})
        yield app
        app.stop()
    if env_db:
        _drop_own_database(app_pg_url)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "app.log").write_bytes(app.log_path.read_bytes())


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, which it may stop and start again."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
