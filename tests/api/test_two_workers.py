"""Two app workers on one PostgreSQL database (issue 10): 2,000 webhook deliveries, 20% of them
repeated and sent to the other worker, while two users race for the import lock. Expect one
lock holder, one record per unique event, and a balanced round-robin."""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from crm_app.db import get_engine, write_session
from crm_app.i18n import UserError
from crm_app.models import User
from crm_app.services import importer, migrations, sync_settings
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from tests.apprunner import start_api
from tests.conftest import PG_SERVER_URL

SECRET = "two-workers-secret"
UNIQUE, REPEATS = 1600, 400


@pytest.fixture
def shared_db() -> Iterator[str]:
    name = f"crm_workers_{os.getpid()}"
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


def start_worker(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_api(url, workdir, extra_env={"CRM_CHATBOT_SECRET_HANA": SECRET})


def test_two_workers_one_database(shared_db: str, tmp_path: Path) -> None:
    engine = get_engine(shared_db)
    with write_session(engine) as s:
        ids = ensure_demo_users(session=s)
        admin = Actor.of(s.get(User, ids["admin"]))
        settings = sync_settings.load_config(s)
        settings.assignment_users = [ids["thuhuong"], ids["dung.vu"], ids["phu.vo"]]
        sync_settings.save_config(s, admin, settings)
    workers = [start_worker(shared_db, tmp_path) for _ in range(2)]
    try:
        rng = random.Random(10)
        bodies = [json.dumps({"application": {"id": "app"}, "lead": {
            "id": {"nomalizeData": f"w-{i}"}, "baseName": {"nomalizeData": f"Khách {i}"},
            "phone": {"nomalizeData": f"849140{i:05d}"}}}).encode() for i in range(UNIQUE)]
        plan = [(bodies[i], i % 2) for i in range(UNIQUE)]
        plan += [(bodies[i], 1 - i % 2) for i in rng.sample(range(UNIQUE), REPEATS)]  # to the other worker
        rng.shuffle(plan)

        def deliver(item: tuple[bytes, int]) -> int:
            body, worker = item
            return httpx.post(f"{workers[worker][1]}/api/webhooks/chatbot/hana", content=body, timeout=30,
                              headers={"Content-Type": "application/json", "X-Webhook-Token": SECRET}).status_code

        lock_results: list[str] = []

        def take_lock(username: str) -> None:
            with write_session(engine) as s:
                actor = Actor.of(s.exec(select(User).where(User.username == username)).one())
                try:
                    importer.acquire_lock(s, actor)
                    lock_results.append(f"held:{username}")
                except UserError as exc:
                    lock_results.append(f"refused:{exc.message()}")

        racers = [threading.Thread(target=take_lock, args=(u,)) for u in ("hieu.nguyen", "dung.vu")]
        started = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            future = pool.map(deliver, plan)
            for racer in racers:
                racer.start()
            statuses = Counter(future)
        for racer in racers:
            racer.join()
        deadline = time.monotonic() + 120
        with engine.connect() as conn:
            while conn.execute(text("SELECT count(*) FROM channel_events WHERE status = 'received'")).scalar():
                assert time.monotonic() < deadline, "events still unprocessed after 120 s"
                time.sleep(0.5)
                conn.commit()
            events = conn.execute(text("SELECT count(*) FROM channel_events")).scalar()
            failed = conn.execute(text("SELECT count(*) FROM channel_events WHERE status <> 'processed'")).scalar()
            leads = conn.execute(text("SELECT count(*) FROM leads WHERE input_source = 'Hana'")).scalar()
            raws = conn.execute(text("SELECT count(*) FROM raw_leads WHERE input_source = 'Hana'")).scalar()
            per_user = dict(conn.execute(text(
                "SELECT u.username, count(*) FROM leads l JOIN users u ON u.id = l.assigned_to_id "
                "WHERE l.input_source = 'Hana' GROUP BY u.username")).all())
        elapsed = time.perf_counter() - started
        print(f"\n[two workers] deliveries={len(plan)} unique={UNIQUE} statuses={dict(statuses)} events={events} "
              f"not_processed={failed} leads={leads} raw_leads={raws} per_user={per_user} "
              f"locks={sorted(lock_results)} seconds={elapsed:.1f}")
        assert statuses == Counter({200: len(plan)})
        assert (events, failed, leads + raws) == (UNIQUE, 0, UNIQUE)
        assert sorted(per_user.values()) == [533, 533, 534]
        assert len([r for r in lock_results if r.startswith("held:")]) == 1
        assert len([r for r in lock_results if r.startswith("refused:")]) == 1
    finally:
        for proc, _ in workers:
            proc.terminate()
            proc.wait(timeout=20)
