"""Background work on the queue, in process: retries and their end, the sweep, resuming imports,
fencing a worker presumed dead, abandoned locks, retention, the shared rate limit, metrics."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.api import build_api
from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ChannelEvent, ImportJob, ImportLock, ImportRowIssue, RawLead, utcnow
from crm_app.services import importer, intake, metrics, ratelimit, retention, tasks
from crm_app.services.importer.jobs import jobs_to_resume
from crm_app.services.importer.lock import expire_locks
from crm_app.settings import get_settings
from tests.fixtures.importer import HEADERS, actor, data_dir, options, write_xlsx
from tests.unit.test_channels import FakeLookups

__all__ = ["data_dir"]
T = TypeVar("T")


@pytest.fixture
def queue_env(engine: Engine, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's settings pointed at the test database, a SQLite queue in the test's directory and
    a Graph API that refuses connections (a provider that is down)."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_FB_GRAPH_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("CRM_FB_PAGE_TOKEN", "token")
    monkeypatch.setenv("CRM_EVENT_RETRY_DELAY", "2")
    get_settings.cache_clear()
    tasks.reset()
    yield engine
    tasks.reset()
    get_settings.cache_clear()


def _leadgen(engine: Engine, leadgen_id: str) -> int:
    body = json.dumps({"entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": leadgen_id}}]}]}).encode()
    with read_session(engine) as s:
        event, _ = intake.record_event(s, "facebook", f"leadgen:{leadgen_id}", body, {})
    assert event.id is not None
    return event.id


def _event(engine: Engine, event_id: int) -> ChannelEvent:
    return _reload(engine, ChannelEvent, event_id)


def _reload(engine: Engine, model: type[T], row_id: int) -> T:
    with read_session(engine) as s:
        row = s.get(model, row_id)
    assert row is not None
    return row


def test_a_transient_failure_is_retried_with_backoff_until_attempts_run_out(queue_env: Engine,
                                                                            demo_users: dict[str, int]) -> None:
    engine = queue_env
    event_id = _leadgen(engine, "71")
    delays = []
    for _ in range(intake.MAX_ATTEMPTS - 1):
        with pytest.raises(intake.TransientFailure) as info:
            intake.attempt(engine, event_id, FakeLookups(fail=True))
        delays.append(info.value.delay)
        event = _event(engine, event_id)
        assert event.status == intake.FAILED and event.next_attempt_at is not None
    assert delays == [2, 6, 18, 54]
    assert intake.attempt(engine, event_id, FakeLookups(fail=True)) == intake.FAILED  # the last one
    event = _event(engine, event_id)
    assert (event.attempts, event.next_attempt_at) == (intake.MAX_ATTEMPTS, None)
    assert intake.due_events(engine, utcnow() + timedelta(days=1)) == []  # the sweep leaves it alone too


def test_a_bad_payload_fails_at_once_and_for_good(queue_env: Engine) -> None:
    with read_session(queue_env) as s:
        event, _ = intake.record_event(s, "zalo", "bad:1", b"not json at all", {})
    assert event.id is not None
    assert intake.attempt(queue_env, event.id) == intake.FAILED  # no TransientFailure: nothing to retry
    event = _event(queue_env, event.id)
    assert event.attempts == 1 and event.next_attempt_at is None and (event.error or "").startswith("BadPayload")
    snap = metrics.read(queue_env)
    assert (snap.failed_final, snap.waiting_retry) == (1, 0)


def test_the_queue_task_schedules_its_retry(queue_env: Engine, demo_users: dict[str, int]) -> None:
    """Through Huey itself: the failed task is put back on the schedule for its backoff delay."""
    event_id = _leadgen(queue_env, "72")
    q = tasks.queue()
    assert tasks.enqueue_event(event_id)
    q.huey.execute(q.huey.dequeue())  # the Graph API refuses: a transient failure
    assert _event(queue_env, event_id).status == intake.FAILED
    assert (q.huey.pending_count(), q.huey.scheduled_count()) == (0, 1)
    [retry] = q.huey.scheduled()
    in_seconds = (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()  # Huey's etas: naive UTC
    assert 0 < in_seconds <= 2  # CRM_EVENT_RETRY_DELAY=2


def test_the_sweep_reenqueues_what_the_rows_say_is_unfinished(queue_env: Engine) -> None:
    engine = queue_env
    lost = _leadgen(engine, "73")  # stored, but its message never reached a consumer
    with write_session(engine) as s:
        done = ChannelEvent(channel="facebook", event_key="leadgen:74", body=b"{}", status=intake.PROCESSED)
        s.add(done)
    stale = utcnow() + timedelta(seconds=get_settings().queue_stale_seconds + 1)
    assert intake.due_events(engine, utcnow()) == []  # too young: its message may still be queued
    assert intake.due_events(engine, stale) == [lost]
    assert intake.due_events(engine, stale) == []  # due again one stale period later, not on every pass
    q = tasks.queue()
    with write_session(engine) as s:
        s.get(ChannelEvent, lost).next_attempt_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert tasks.sweep() == {"events": 1, "imports": 0}
    assert q.huey.pending_count() == 1


def _job(engine: Engine, tmp_path: Path, rows: int = 12, **values: object) -> int:
    path = write_xlsx(tmp_path / f"import-{rows}.xlsx",
                      [HEADERS] + [["Lê", f"Khách {i}", f"09{i:08d}", "", ""] for i in range(rows)])
    who = actor(engine)
    with write_session(engine) as s:
        job = importer.create_job(s, who, path, path.name, options(engine, HEADERS))
        for key, value in values.items():
            setattr(job, key, value)
        s.add(job)
    assert job.id is not None
    return job.id


def _get_job(engine: Engine, job_id: int) -> ImportJob:
    return _reload(engine, ImportJob, job_id)


def test_a_dead_workers_import_is_resumed_once_its_heartbeat_is_stale(queue_env: Engine, demo_users: dict[str, int],
                                                                       tmp_path: Path) -> None:
    engine = queue_env
    job_id = _job(engine, tmp_path, status="running", worker="dead-host:1:x", attempts=1)
    assert jobs_to_resume(engine) == []  # its worker may be alive: the heartbeat is fresh
    with pytest.raises(UserError) as info:
        importer.run_job(engine, job_id)
    assert info.value.key == "import.job.unfinished"
    with write_session(engine) as s:
        s.get(ImportJob, job_id).heartbeat_at = utcnow() - timedelta(minutes=5)  # type: ignore[union-attr]
    assert jobs_to_resume(engine) == [job_id]
    assert importer.job_phase(_get_job(engine, job_id)) == "resuming"  # what the wizard shows meanwhile
    result = importer.run_job(engine, job_id)
    assert (result.status, result.created) == ("done", 12)
    job = _get_job(engine, job_id)
    assert job.attempts == 2 and job.worker != "dead-host:1:x"


def test_an_import_that_cannot_be_resumed_fails_with_its_reason_and_frees_the_lock(
        queue_env: Engine, demo_users: dict[str, int], tmp_path: Path) -> None:
    engine = queue_env
    long_ago = utcnow() - timedelta(minutes=5)
    job_id = _job(engine, tmp_path, status="running", worker="dead:1:x", attempts=importer.jobs.MAX_ATTEMPTS,
                  heartbeat_at=long_ago)
    assert jobs_to_resume(engine) == []
    job = _get_job(engine, job_id)
    assert job.status == "failed" and "3 lần chạy" in (job.error or "")
    with read_session(engine) as s:
        assert importer.current_lock(s) is None
    gone = _job(engine, tmp_path, status="running", worker="dead:2:y", attempts=1, heartbeat_at=long_ago)
    Path(_get_job(engine, gone).file_path).unlink()
    assert jobs_to_resume(engine) == []
    assert "không còn tìm thấy tệp" in (_get_job(engine, gone).error or "")


def test_a_worker_presumed_dead_stops_without_writing_beside_the_new_one(
        queue_env: Engine, demo_users: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = queue_env
    monkeypatch.setenv("CRM_IMPORT_BATCH_PAUSE", "0.5")
    get_settings.cache_clear()
    job_id = _job(engine, tmp_path, rows=20)
    errors: list[str] = []

    def slow_worker() -> None:
        try:
            importer.run_job(engine, job_id, batch_size=5)
        except UserError as exc:
            errors.append(exc.key)

    thread = threading.Thread(target=slow_worker)
    thread.start()
    deadline = time.monotonic() + 60
    while _get_job(engine, job_id).checkpoint == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with write_session(engine) as s:  # another consumer claims it (as after a stale heartbeat)
        job = s.get(ImportJob, job_id)
        assert job is not None
        job.worker = "new-owner:9:z"
        s.add(job)
    thread.join(60)
    assert errors == ["import.job.stopped"]
    job = _get_job(engine, job_id)
    assert (job.status, job.worker, job.processed) == ("running", "new-owner:9:z", 5)  # not failed by the old one
    with read_session(engine) as s:
        assert s.exec(select(func.count()).select_from(RawLead).where(RawLead.import_job_id == job_id)).one() == 5


def test_abandoned_locks_expire(queue_env: Engine, demo_users: dict[str, int], tmp_path: Path) -> None:
    engine = queue_env
    who = actor(engine)
    with write_session(engine) as s:
        importer.acquire_lock(s, who)
    with write_session(engine) as s:
        assert not expire_locks(s)  # a wizard just opened
        s.get(ImportLock, "raw_leads").acquired_at = utcnow() - timedelta(minutes=11)  # type: ignore[union-attr]
    with write_session(engine) as s:
        assert expire_locks(s)
    job_id = _job(engine, tmp_path, status="done", finished_at=utcnow() - timedelta(minutes=30))
    with write_session(engine) as s:
        assert not expire_locks(s)  # the holder may still be reading the result
        s.get(ImportJob, job_id).finished_at = utcnow() - timedelta(hours=2)  # type: ignore[union-attr]
    with write_session(engine) as s:
        assert expire_locks(s)
    with read_session(engine) as s:
        assert importer.current_lock(s) is None


def test_files_past_retention_are_deleted(queue_env: Engine, demo_users: dict[str, int], tmp_path: Path) -> None:
    engine = queue_env
    old = _job(engine, tmp_path, rows=3)
    result = importer.run_job(engine, old)
    recent = _job(engine, tmp_path, rows=2)
    importer.run_job(engine, recent)
    running = _job(engine, tmp_path, rows=1, status="running", started_at=utcnow() - timedelta(days=90))
    stray = get_settings().private_upload_dir / "incoming" / "abandoned.part"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    old_time = time.time() - 40 * 86400
    os.utime(stray, (old_time, old_time))
    with write_session(engine) as s:
        job = s.get(ImportJob, old)
        assert job is not None
        job.started_at = utcnow() - timedelta(days=31)
        s.add(ImportRowIssue(job_id=old, kind="skipped", row_number=2, values=["Lê", "An"], reason="trùng"))
        old_files = [Path(p) for p in (job.file_path, result.skipped_file, result.failed_file) if p]
    assert all(p.is_file() for p in old_files)
    assert retention.delete_expired_files(engine) == len(old_files) + 1
    assert not any(p.exists() for p in old_files) and not stray.exists()
    with read_session(engine) as s:
        assert s.exec(select(func.count()).select_from(ImportRowIssue).where(ImportRowIssue.job_id == old)).one() == 0
        assert Path(s.get(ImportJob, recent).file_path).is_file()  # type: ignore[union-attr]
        assert Path(s.get(ImportJob, running).file_path).is_file()  # type: ignore[union-attr]
        admin = actor(engine, "admin")
    with write_session(engine) as s:
        retention.set_retention_days(s, admin, 7)
        assert retention.retention_days(s) == 7
        with pytest.raises(UserError):
            retention.set_retention_days(s, admin, 0)


def test_rate_limit_counts_per_key_and_says_when_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    ratelimit.reset()
    results = [ratelimit.hit("token:a", rate=2, burst=4) for _ in range(6)]
    assert [allowed for allowed, _ in results] == [True] * 4 + [False] * 2
    assert 0 < results[-1][1] <= 2  # 4 per 2 s: the first of them leaves the window within 2 s
    assert ratelimit.hit("token:b", rate=2, burst=4) == (True, 0.0)  # another key has its own count
    ratelimit.reset()


def test_metrics_need_the_token_and_show_the_figures(queue_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_API_TOKEN", "ops-token")
    get_settings.cache_clear()
    with read_session(queue_env) as s:
        intake.record_event(s, "zalo", "bad:2", b"[]", {})
    client = TestClient(build_api())
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer ops-token"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert 'crm_channel_events{channel="zalo",status="received"} 1.0' in response.text
    assert "crm_queue_up 1.0" in response.text and "crm_queue_depth 0.0" in response.text
    monkeypatch.setenv("CRM_METRICS_PUBLIC", "1")
    get_settings.cache_clear()
    assert client.get("/metrics").status_code == 200
