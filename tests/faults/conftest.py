"""Fault tests: real consumers killed with -9, a Redis stopped mid-burst, two process groups on one
PostgreSQL and Redis. Marked `faults` (make test runs them); each runs in well under two minutes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from crm_app.db import get_engine
from crm_app.services import migrations
from tests.conftest import PG_SERVER_URL

SECRET = "fault-tests-secret"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def shared_pg() -> Iterator[str]:
    """A PostgreSQL database of the test's own, migrated, that several processes share."""
    name = f"crm_faults_{os.getpid()}"
    server = get_engine(PG_SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER_URL.rsplit("/", 1)[0] + "/" + name
    migrations.upgrade(url)
    yield url
    get_engine(url).dispose()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def hana_body(i: int, prefix: str = "f") -> bytes:
    """One Hana lead: one unique person (and phone) per i."""
    return json.dumps({"application": {"id": "app"}, "lead": {
        "id": {"nomalizeData": f"{prefix}-{i}"}, "baseName": {"nomalizeData": f"Khách {i}"},
        "phone": {"nomalizeData": f"849140{i:05d}"}}}).encode()


HANA_HEADERS = {"Content-Type": "application/json", "X-Webhook-Token": SECRET}


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll `check` until true; the seconds it took. Fails with `what` after `seconds`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"{what} (after {seconds:.0f} s)"
        time.sleep(0.25)
    return time.monotonic() - started


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)
