"""Redis stopped during a burst on the scaled setup (PostgreSQL + Redis): webhooks still answer 200
for what they stored (the row is the record; the queue message is lost) and 503 only for what they
did not; when Redis is back the sweep enqueues everything stored and all of it is processed."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from crm_app.db import get_engine, write_session
from crm_app.services.demo import ensure_demo_users
from tests.apprunner import RedisServer, start_api
from tests.faults.conftest import HANA_HEADERS, SECRET, count, hana_body, wait_until

BURST = 150


def test_redis_stopped_during_a_burst(shared_pg: str, redis_server: RedisServer, tmp_path: Path) -> None:
    engine = get_engine(shared_pg)
    with write_session(engine) as s:
        ensure_demo_users(session=s)
    api, base = start_api(shared_pg, tmp_path, workers=2,
                          extra_env={"CRM_CHATBOT_SECRET_HANA": SECRET, "REDIS_URL": redis_server.url})
    acknowledged: list[str] = []
    try:
        def deliver(i: int) -> int:
            response = httpx.post(f"{base}/api/webhooks/chatbot/hana", content=hana_body(i, "redis"),
                                  headers=HANA_HEADERS, timeout=30)
            if response.status_code == 200 and response.json()["stored"] == 1:
                acknowledged.append(f"redis-{i}")
            return response.status_code

        with ThreadPoolExecutor(10) as pool:
            before = list(pool.map(deliver, range(BURST // 3)))
            redis_server.stop()
            stopped = time.monotonic()
            during = list(pool.map(deliver, range(BURST // 3, BURST)))
            down_for = time.monotonic() - stopped
        time.sleep(2)
        received = count(engine, "SELECT count(*) FROM channel_events WHERE status = 'received'")
        redis_server.start()  # same port: the app and its consumer reconnect by themselves
        took = wait_until(lambda: count(engine, "SELECT count(*) FROM channel_events WHERE status = 'processed'")
                          == len(acknowledged), 120, "stored events left unprocessed after Redis came back")
        stored = count(engine, "SELECT count(*) FROM channel_events")
        with engine.connect() as conn:
            keys = {json.loads(bytes(b))["lead"]["id"]["nomalizeData"]
                    for b in conn.exec_driver_sql("SELECT body FROM channel_events").scalars()}
        records = count(engine, "SELECT count(*) FROM raw_leads WHERE input_source = 'Hana'") + count(
            engine, "SELECT count(*) FROM leads WHERE input_source = 'Hana'")
        print(f"\n[redis down] before={dict(Counter(before))} during={dict(Counter(during))} (Redis down "
              f"{down_for:.1f} s) unprocessed while down={received}; all {stored} stored processed {took:.1f} s "
              f"after Redis came back; records={records}")
        assert set(before + during) <= {200, 503}
        assert keys == set(acknowledged) and stored == len(acknowledged)  # every 200 stored, nothing else
        assert during.count(200) > 0 and received > 0  # stored while the queue was gone
        assert records == stored
    finally:
        api.terminate()
        api.wait(timeout=20)
