"""Channel events through the task queue on the scaled setup: PostgreSQL + Redis, the API under
granian (2 web workers) and 1, then 2, `crm worker` consumers (separate processes, 4 threads each).

For each consumer count, 5,000 Hana events (each a new person) from 20 senders:
- paced: half of them at 100 deliveries/s with the consumers running: acknowledgement latency and
  the time from acknowledgement to processed (p50/p99; target p99 < 2 s), and the CPU each
  delivery costs the whole stack (web workers, consumers, PostgreSQL, Redis): the share of the
  machine's cores the rate needs;
- backlog: the other half sent as fast as the senders can with no consumer running (intake
  throughput), then the consumers start and drain it: events/s from the first processed to the
  last (target: 2 consumers at least 1.6x faster than 1), and the CPU each drained event costs
  (the consumers, their PostgreSQL backends and Redis, read from /proc) with the ceilings that
  cost sets: one consumer's Python on one core (the GIL), and the machine's cores.

    .venv/bin/python bench/queue.py [--events 5000] [--senders 20] [--rate 100]

Loopback only; a Redis of its own on a free port; every loop is bounded.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named queue.py: its directory must not shadow the standard library's `queue`.
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import UTC  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from crm_app.db import get_engine, normalise_url, write_session  # noqa: E402
from crm_app.services import migrations  # noqa: E402
from crm_app.services.demo import ensure_demo_users  # noqa: E402
from tests.apprunner import RedisServer, api_env, start_api, start_worker  # noqa: E402
from tests.faults.conftest import HANA_HEADERS, SECRET, hana_body  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"  # only to CREATE DATABASE crm_queue_bench
PG_URL = "postgresql://postgres@127.0.0.1:5432/crm_queue_bench"
DRAIN_TIMEOUT = 300.0


def prepare() -> str:
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS crm_queue_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE crm_queue_bench"))
    admin.dispose()
    migrations.upgrade(PG_URL)
    with write_session(get_engine(PG_URL)) as session:
        ensure_demo_users(session=session)
    return PG_URL


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def send(base: str, ids: list[int], prefix: str, senders: int,
         rate: float | None) -> tuple[dict[str, float], list[float], float]:
    """Deliver one event per id from `senders` threads (paced to `rate` per second overall, or as
    fast as they go); returns ack time per event key, ack latencies (s) and the wall time."""
    acks: dict[str, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5
    wall0 = time.time() + 0.5

    def sender(k: int) -> None:
        with httpx.Client(timeout=30) as client:
            for n, i in enumerate(ids[k::senders]):
                if rate:
                    delay = start + (n * senders + k) / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                sent = time.perf_counter()
                response = client.post(f"{base}/api/webhooks/chatbot/hana", content=hana_body(i, prefix),
                                       headers=HANA_HEADERS)
                took = time.perf_counter() - sent
                assert response.status_code == 200, response.text
                with lock:
                    acks[f"{prefix}-{i}"] = time.time()
                    latencies.append(took)

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(sender, range(senders)))
    return acks, latencies, time.time() - wall0


def processed_times(prefix: str, expected: int) -> dict[str, float]:
    """Wait until the events of `prefix` are processed; their processed_at by lead id."""
    engine = get_engine(PG_URL)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT event_key, processed_at FROM channel_events "
                                     "WHERE event_key LIKE :p AND status = 'processed'"),
                                {"p": f"hana:{prefix}-%"}).all()
        if len(rows) >= expected:
            break
        assert time.monotonic() < deadline, f"only {len(rows)}/{expected} processed after {DRAIN_TIMEOUT:.0f} s"
        time.sleep(0.5)
    return {key.split(":")[1]: at.astimezone(UTC).timestamp() for key, at in rows}


def warm_up(base: str, prefix: str, consumers: int) -> None:
    """Wait until every consumer has started and processed events (imports, pools): not measured."""
    count = 20 * consumers
    send(base, list(range(61_000 + 1000 * consumers, 61_000 + 1000 * consumers + count)), prefix, 20, None)
    processed_times(prefix, count)


def run(consumers: int, base: str, env: dict[str, str], workdir: Path, events: int, senders: int,
        rate: float, api_pid: int, redis_pid: int) -> float:
    half = events // 2
    first = 10_000 * (consumers - 1)  # every event a new person (its own phone) across the whole run
    label = f"[{consumers} consumer{'s' if consumers > 1 else ''}]"
    procs = [start_worker(env, workdir) for _ in range(consumers)]
    try:
        warm_up(base, f"warm{consumers}", consumers)
        prefix = f"paced{consumers}"
        before, started_at = stack_cpu(api_pid, [p.pid for p in procs], redis_pid), time.time()
        acks, latencies, wall = send(base, list(range(first, first + half)), prefix, senders, rate)
        done = processed_times(prefix, half)
        used = cpu_between(before, stack_cpu(api_pid, [p.pid for p in procs], redis_pid))
        lags = [done[k] - acks[k] for k in acks]
        print(f"{label} paced {rate:.0f}/s: {half} events in {wall:.1f} s; ack p50/p99 = "
              f"{1000 * pct(latencies, 0.5):.0f}/{1000 * pct(latencies, 0.99):.0f} ms; ack→processed p50/p99 = "
              f"{pct(lags, 0.5):.2f}/{pct(lags, 0.99):.2f} s (target p99 < 2 s)", flush=True)
        per_delivery = 1000 * sum(used.values()) / half
        print(f"{label} paced: CPU per delivery " + ", ".join(f"{k} {1000 * v / half:.1f} ms" for k, v in used.items())
              + f" = {per_delivery:.1f} ms; at {rate:.0f}/s the stack needs {per_delivery * rate / 1000:.2f} of "
              f"{os.cpu_count()} cores (busy {sum(used.values()) / (max(done.values()) - started_at):.2f} on average)",
              flush=True)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    prefix = f"backlog{consumers}"
    acks, latencies, wall = send(base, list(range(first + half, first + events)), prefix, senders, None)
    print(f"{label} backlog intake (no consumer running): {len(acks)} events in {wall:.1f} s = "
          f"{len(acks) / wall:.0f} deliveries/s; ack p50/p99 = {1000 * pct(latencies, 0.5):.0f}/"
          f"{1000 * pct(latencies, 0.99):.0f} ms", flush=True)
    started = time.time()
    procs = [start_worker(env, workdir) for _ in range(consumers)]
    try:  # the drain rate runs from the first processed event to the last: start-up is not counted
        meter = CpuMeter([p.pid for p in procs], redis_pid, started)
        meter.wait_for_first(prefix)
        done = processed_times(prefix, events - half)
        cpu = meter.read(prefix)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    times = sorted(done.values())
    drain = (len(times) - 1) / (times[-1] - times[0])
    print(f"{label} backlog drained at {drain:.0f} events/s ({len(times)} events, first to last processed in "
          f"{times[-1] - times[0]:.1f} s); machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    per_event = sum(cpu.values())
    # A consumer's Python runs on one core at a time (the GIL, whatever its threads); the machine's
    # cores are shared by every consumer, PostgreSQL and Redis.
    one_consumer = 1000 / (cpu["consumers"] / consumers)
    machine = 1000 * (os.cpu_count() or 1) / per_event
    print(f"{label} CPU per drained event: " + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items())
          + f" = {per_event:.1f} ms; ceilings at this cost: one consumer {one_consumer:.0f} events/s (one core), "
          f"{os.cpu_count()} cores {machine:.0f} events/s", flush=True)
    return drain


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (granian's worker processes), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += children.get(current, [])
    return found


def stack_cpu(api_pid: int, consumer_pids: list[int], redis_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds so far of every process of the stack, by part: the web workers, the consumers,
    PostgreSQL's backends for this database, Redis."""
    with get_engine(PG_URL).connect() as conn:
        backends = [pid for (pid,) in conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = 'crm_queue_bench' AND pid <> pg_backend_pid()"))]
    parts = {"web": _tree(api_pid), "consumers": [p for c in consumer_pids for p in _tree(c)],
             "PostgreSQL": backends, "Redis": [redis_pid]}
    return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in parts.items()}


def cpu_between(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """Seconds used per part; a process that started in between counts whole."""
    return {name: sum(max(0.0, seconds - before.get(name, {}).get(pid, 0.0)) for pid, seconds in pids.items())
            for name, pids in after.items()}


class CpuMeter:
    """CPU spent by the consumers, the PostgreSQL backends they opened and Redis between the first
    processed event of a drain and the last, per event processed in between (ms)."""

    def __init__(self, consumer_pids: list[int], redis_pid: int, since: float) -> None:
        self.groups = {"consumers": consumer_pids, "Redis": [redis_pid]}
        self.since = since
        self.start: dict[int, float] = {}
        self.count0 = 0

    def _backends(self) -> list[int]:
        with get_engine(PG_URL).connect() as conn:
            return [pid for (pid,) in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = 'crm_queue_bench' AND pid <> pg_backend_pid() "
                "AND backend_start >= to_timestamp(:t)"), {"t": self.since})]

    def _processed(self, prefix: str) -> int:
        with get_engine(PG_URL).connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM channel_events WHERE event_key LIKE :p "
                                         "AND status = 'processed'"), {"p": f"hana:{prefix}-%"}).scalar() or 0)

    def wait_for_first(self, prefix: str) -> None:
        deadline = time.monotonic() + 60
        while (count := self._processed(prefix)) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.groups["PostgreSQL"] = self._backends()
        self.start = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids}
        self.count0 = count

    def read(self, prefix: str) -> dict[str, float]:
        backends = self._backends()  # the pool may have opened more since the first event
        self.groups["PostgreSQL"] = sorted(set(self.groups["PostgreSQL"]) | set(backends))
        used = {name: sum(cpu_seconds(pid) - self.start.get(pid, 0.0) for pid in pids)
                for name, pids in self.groups.items()}
        events = max(1, self._processed(prefix) - self.count0)
        return {name: 1000 * seconds / events for name, seconds in used.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="per consumer count (at most 10,000)")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    url = prepare()
    redis = RedisServer(workdir)
    redis.start()
    extra = {"CRM_CHATBOT_SECRET_HANA": SECRET, "REDIS_URL": redis.url}
    env = api_env(url, workdir, extra)
    api, base = start_api(url, workdir, workers=2, extra_env=extra, consumer=False)
    try:
        send(base, list(range(60_000, 60_050)), "warm", 10, None)  # the web workers' first requests
        assert redis.process is not None
        one, two = [run(n, base, env, workdir, args.events, args.senders, args.rate, api.pid, redis.process.pid)
                    for n in (1, 2)]
        print(f"drain speed-up, 2 consumers vs 1: {two / one:.2f}x (target >= 1.6x)", flush=True)
        with get_engine(url).connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM channel_events")).scalar()
            records = sum(conn.execute(text(f"SELECT count(*) FROM {table} WHERE input_source = 'Hana'")).scalar()  # noqa: S608
                          for table in ("raw_leads", "leads"))
        expected = 2 * args.events + 50 + 20 + 40  # the measured ones and the warm-ups
        print(f"check: {stored} events stored, {records} records (expected {expected} each: one per person)")
        return 0 if stored == records == expected else 1
    finally:
        api.terminate()
        api.wait(timeout=30)
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
