"""Two machines simulated as two process groups (web + consumer each) on one PostgreSQL and one
Redis: 2,000 webhook deliveries, 20% of them repeated and sent to the other group, while two users
race for the import lock. Expect exactly one record per unique event, one lock holder, a balanced
round-robin, and one webhook rate limit across both groups (not one per process)."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlmodel import select

from crm_app.db import get_engine, write_session
from crm_app.i18n import UserError
from crm_app.models import User
from crm_app.services import importer, sync_settings
from crm_app.services.auth import Actor
from crm_app.services.demo import ensure_demo_users
from tests.apprunner import RedisServer, start_api
from tests.faults.conftest import HANA_HEADERS, SECRET, count, hana_body, wait_until

UNIQUE, REPEATS = 1600, 400
SOURCES = 100  # deliveries come from 100 loopback addresses, at most 20 each: under any limit
BURST = 40  # per source, over a window of BURST / RATE = 400 s: the flood below cannot refill it
RATE = 0.1


def start_group(url: str, workdir: Path, extra_env: dict[str, str] | None = None
                ) -> tuple[subprocess.Popen[bytes], str]:
    """A web process and its consumer (which ends with it)."""
    return start_api(url, workdir, extra_env={"CRM_CHATBOT_SECRET_HANA": SECRET, **(extra_env or {})})


def _client(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


def test_two_process_groups_one_database_one_redis(shared_pg: str, redis_server: RedisServer,
                                                   tmp_path: Path) -> None:
    engine = get_engine(shared_pg)
    with write_session(engine) as s:
        ids = ensure_demo_users(session=s)
        admin = Actor.of(s.get(User, ids["admin"]))
        settings = sync_settings.load_config(s)
        settings.assignment_users = [ids["thuhuong"], ids["dung.vu"], ids["phu.vo"]]
        sync_settings.save_config(s, admin, settings)
    env = {"REDIS_URL": redis_server.url, "CRM_WEBHOOK_RATE": str(RATE), "CRM_WEBHOOK_BURST": str(BURST)}
    groups = []
    for name in ("a", "b"):  # separate data directories: nothing shared but PostgreSQL and Redis
        (tmp_path / name).mkdir()
        groups.append(start_group(shared_pg, tmp_path / name, env))
    clients = {i: _client(f"127.0.0.{10 + i}") for i in range(SOURCES)}
    try:
        rng = random.Random(10)
        plan = [(i, i % 2) for i in range(UNIQUE)]
        plan += [(i, 1 - i % 2) for i in rng.sample(range(UNIQUE), REPEATS)]  # the repeat goes to the other group
        rng.shuffle(plan)

        def deliver(item: tuple[int, int]) -> int:
            i, group = item
            return clients[i % SOURCES].post(f"{groups[group][1]}/api/webhooks/chatbot/hana", content=hana_body(i),
                                             headers=HANA_HEADERS).status_code

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
        wait_until(lambda: count(engine, "SELECT count(*) FROM channel_events WHERE status = 'received'") == 0,
                   120, "events still unprocessed")
        events = count(engine, "SELECT count(*) FROM channel_events")
        not_processed = count(engine, "SELECT count(*) FROM channel_events WHERE status <> 'processed'")
        leads = count(engine, "SELECT count(*) FROM leads WHERE input_source = 'Hana'")
        raws = count(engine, "SELECT count(*) FROM raw_leads WHERE input_source = 'Hana'")
        phones = count(engine, "SELECT count(DISTINCT mobile) FROM raw_leads WHERE input_source = 'Hana'") + count(
            engine, "SELECT count(DISTINCT mobile) FROM leads WHERE input_source = 'Hana'")
        with engine.connect() as conn:
            per_user = dict(conn.exec_driver_sql(
                "SELECT u.username, count(*) FROM leads l JOIN users u ON u.id = l.assigned_to_id "
                "WHERE l.input_source = 'Hana' GROUP BY u.username").all())
        elapsed = time.perf_counter() - started

        # One source floods both groups: the limit is one count in Redis, so BURST pass in all.
        flood = _client("127.0.0.9")
        limited = Counter(flood.post(f"{groups[k % 2][1]}/api/webhooks/chatbot/hana", content=b"{}",
                                     headers={"X-Webhook-Token": "wrong"}).status_code for k in range(3 * BURST))
        print(f"\n[two groups] deliveries={len(plan)} unique={UNIQUE} statuses={dict(statuses)} events={events} "
              f"not_processed={not_processed} leads={leads} raw_leads={raws} per_user={per_user} "
              f"locks={sorted(lock_results)} seconds={elapsed:.1f} flood={dict(limited)}")
        assert statuses == Counter({200: len(plan)})
        assert (events, not_processed, leads + raws, phones) == (UNIQUE, 0, UNIQUE, UNIQUE)
        assert sorted(per_user.values()) == [533, 533, 534]
        assert len([r for r in lock_results if r.startswith("held:")]) == 1
        assert len([r for r in lock_results if r.startswith("refused:")]) == 1
        assert limited == Counter({403: BURST, 429: 2 * BURST})  # per process it would have been 2 x BURST
    finally:
        for client in clients.values():
            client.close()
        for proc, _ in groups:
            proc.terminate()
            proc.wait(timeout=20)
