"""A consumer killed with -9: nothing lost, nothing doubled, and no cron or manual command.

- During a burst of 500 channel events (the embedded default: SQLite, SQLite queue): after a
  restart of the consumer, exactly 500 events are processed, one record per person.
- In the middle of an import: another consumer already running resumes it from its checkpoint
  once the heartbeat is stale; the counts equal an uninterrupted import, no row twice.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from crm_app.db import get_engine, write_session
from crm_app.services import importer, tasks
from crm_app.services.demo import ensure_demo_users
from crm_app.settings import get_settings
from tests.apprunner import api_env, start_api, start_worker
from tests.conftest import make_database
from tests.faults.conftest import HANA_HEADERS, SECRET, count, hana_body, wait_until
from tests.fixtures.importer import HEADERS, actor, options, write_xlsx
from tests.unit.test_importer_crash import _job, _rows

BURST = 500


def test_consumer_killed_during_a_burst_loses_nothing(tmp_path: Path) -> None:
    url = make_database("sqlite", tmp_path)
    engine = get_engine(url)
    with write_session(engine) as s:
        ensure_demo_users(session=s)
    env = api_env(url, tmp_path, {"CRM_CHATBOT_SECRET_HANA": SECRET})
    api, base = start_api(url, tmp_path, extra_env={"CRM_CHATBOT_SECRET_HANA": SECRET}, consumer=False)
    consumer = start_worker(env, tmp_path)
    try:
        def deliver(i: int) -> int:
            return httpx.post(f"{base}/api/webhooks/chatbot/hana", content=hana_body(i, "burst"),
                              headers=HANA_HEADERS, timeout=30).status_code

        with ThreadPoolExecutor(10) as pool:
            first = list(pool.map(deliver, range(BURST // 2)))
            wait_until(lambda: count(engine, "SELECT count(*) FROM channel_events WHERE status = 'processed'") > 20,
                       120, "the consumer processed nothing")
            os.kill(consumer.pid, signal.SIGKILL)  # mid-burst, mid-task
            consumer.wait()
            killed_at = count(engine, "SELECT count(*) FROM channel_events WHERE status = 'processed'")
            rest = list(pool.map(deliver, range(BURST // 2, BURST)))
        assert first + rest == [200] * BURST
        assert killed_at < BURST
        consumer = start_worker(env, tmp_path)  # a restart, as a supervisor would do: nothing else
        took = wait_until(lambda: count(engine, "SELECT count(*) FROM channel_events WHERE status = 'processed'")
                          == BURST, 120, "events left unprocessed after the restart")
        records = count(engine, "SELECT count(*) FROM raw_leads WHERE input_source = 'Hana'") + count(
            engine, "SELECT count(*) FROM leads WHERE input_source = 'Hana'")
        phones = count(engine, "SELECT count(DISTINCT mobile) FROM raw_leads WHERE input_source = 'Hana'") + count(
            engine, "SELECT count(DISTINCT mobile) FROM leads WHERE input_source = 'Hana'")
        print(f"\n[consumer killed] processed when killed={killed_at} all {BURST} processed {took:.1f} s after the "
              f"restart; records={records}")
        assert count(engine, "SELECT count(*) FROM channel_events") == BURST
        assert records == phones == BURST  # one record per person, none twice
    finally:
        for proc in (consumer, api):
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture
def queue_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """This test process shares the consumers' settings, so it enqueues where they read."""
    url = make_database("sqlite", tmp_path)
    for key, value in api_env(url, tmp_path, {"CRM_IMPORT_BATCH_SIZE": "5", "CRM_IMPORT_BATCH_PAUSE": "0.3"}).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    tasks.reset()
    yield get_engine(url)
    tasks.reset()
    get_settings.cache_clear()


def test_a_killed_consumers_import_is_resumed_by_another(queue_settings: Engine, tmp_path: Path) -> None:
    engine = queue_settings
    with write_session(engine) as s:
        ensure_demo_users(session=s)
    path = write_xlsx(tmp_path / "kill.xlsx", _rows())
    who = actor(engine)
    opts = options(engine, HEADERS, dedup_fields=["mobile"], on_duplicate="skip")
    expected = importer.dry_run(engine, path=path, options=opts, actor=who)
    with write_session(engine) as s:
        job_id = importer.create_job(s, who, path, path.name, opts).id
    assert job_id is not None
    env = dict(os.environ)
    consumers = [start_worker(env, tmp_path, threads=1) for _ in range(2)]
    try:
        assert tasks.enqueue_import(job_id)
        wait_until(lambda: _job(engine, job_id).checkpoint > 0, 120, "the import never committed a batch")
        holder = _job(engine, job_id).worker or ""
        [victim] = [p for p in consumers if f":{p.pid}:" in holder]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        at_kill = _job(engine, job_id)
        assert at_kill.status == "running" and 0 < at_kill.processed < expected.total
        stale_at = at_kill.heartbeat_at.timestamp() + get_settings().import_stale_seconds
        wait_until(lambda: (_job(engine, job_id).worker or holder) != holder, 120, "nobody resumed the import")
        resumed_after = time.time() - stale_at
        wait_until(lambda: _job(engine, job_id).status != "running", 120, "the resumed import did not finish")
        job = _job(engine, job_id)
        created = count(engine, f"SELECT count(*) FROM raw_leads WHERE import_job_id = {job_id}")
        distinct = count(engine, f"SELECT count(DISTINCT mobile) FROM raw_leads WHERE import_job_id = {job_id}")
        print(f"\n[import resumed] killed at {at_kill.processed}/{expected.total} rows; resumed {resumed_after:.1f} s "
              f"after the heartbeat went stale; created={job.created} skipped={job.skipped} failed={job.failed}")
        assert resumed_after < 60
        assert (job.status, job.attempts) == ("done", 2)
        assert (job.total, job.created, job.skipped, job.failed) == (
            expected.total, expected.created, expected.skipped, expected.failed)
        assert created == distinct == expected.created  # nothing imported twice
    finally:
        for proc in consumers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
