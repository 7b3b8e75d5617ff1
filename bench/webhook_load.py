"""Webhook intake under load: 5,000 deliveries from 20 concurrent senders on loopback, 10% of
them redeliveries, against `crm_app.api.build_api()` served by granian (the ASGI server Reflex
uses in prod; the full Reflex app adds a frontend build but nothing on these routes).

    .venv/bin/python bench/webhook_load.py [--db sqlite|postgresql|both] [--deliveries 5000]
        [--senders 20] [--rate 100] [--unpaced]

Half the deliveries are Hana chatbot events (token), half signed web-form posts (HMAC), each
unique one with its own phone so it must become exactly one Lead. Prints throughput, p50/p99
acknowledgement latency and the count check (target: nothing lost or doubled, p99 < 200 ms at
100 deliveries/s). Loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (see queue.py)

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from crm_app.db import get_engine, normalise_url, write_session  # noqa: E402
from crm_app.models import ChannelEvent, FormConfig, Lead  # noqa: E402
from crm_app.services import migrations  # noqa: E402
from crm_app.services.demo import ensure_demo_users  # noqa: E402
from tests.apprunner import start_api  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"  # only to CREATE DATABASE crm_bench
PG_URL = "postgresql://postgres@127.0.0.1:5432/crm_bench"  # its own database: tests reset `test`
HANA_SECRET = "bench-hana-secret"  # noqa: S105 - throw-away loopback secret
FORM_KEY, FORM_SECRET, FORM_LABEL = "bench", "bench-form-secret", "Webform"
DRAIN_TIMEOUT = 180.0  # seconds to wait for background processing after the last delivery
# The first seconds of a fresh server are slow (lazy imports, phone metadata, pool growth): that
# many extra unique deliveries are sent first, counted in the checks but not in the latency figures.
WARMUP = 300


@dataclass
class Delivery:
    path: str
    body: bytes
    headers: dict[str, str]


def prepare(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'crm_bench'")).first() is None:
                conn.execute(text("CREATE DATABASE crm_bench"))
        admin.dispose()
        url = PG_URL
        engine = get_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(url)
    with write_session(get_engine(url)) as session:
        ensure_demo_users(session=session)
        session.add(FormConfig(key=FORM_KEY, channel=FORM_LABEL, secret=FORM_SECRET))
    return url


def deliveries(total: int, seed: int = 7, offset: int = 0, repeat: bool = True) -> tuple[list[Delivery], int]:
    """`total` deliveries of which 10% repeat an earlier one; returns them and the unique count."""
    rng = random.Random(seed)
    unique = total - total // 10 if repeat else total
    made: list[Delivery] = []
    for i in range(offset, offset + unique):
        if i % 2:
            lead = {"id": {"nomalizeData": f"bench-{i}", "rawData": f"bench-{i}"},
                    "baseName": {"nomalizeData": f"Khách {i}"},
                    "phone": {"nomalizeData": f"849130{i:05d}", "rawData": f"09130{i:05d}"}}
            body = json.dumps({"application": {"id": "bench"}, "lead": lead}).encode()
            made.append(Delivery("/api/webhooks/chatbot/hana", body,
                                 {"Content-Type": "application/json", "X-Webhook-Token": HANA_SECRET}))
        else:
            body = json.dumps({"Họ và tên": f"Nguyễn Văn {i}", "Số điện thoại": f"09120{i:05d}"},
                              ensure_ascii=False).encode()
            sig = "sha256=" + hmac.new(FORM_SECRET.encode(), body, hashlib.sha256).hexdigest()
            made.append(Delivery(f"/api/webhooks/forms/{FORM_KEY}", body,
                                 {"Content-Type": "application/json", "X-Signature": sig}))
    sent = made + [rng.choice(made) for _ in range(total - unique)]
    rng.shuffle(sent)
    return sent, unique


def send_all(base: str, batch: list[Delivery], senders: int, rate: float | None
             ) -> tuple[list[float], int, float]:
    """(latencies in ms, non-200 count, wall seconds); delivery i is due at start + i/rate."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    cursor = iter(range(len(batch)))
    start = time.perf_counter() + 0.2

    def sender() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    return
                if rate:
                    time.sleep(max(0.0, start + i / rate - time.perf_counter()))
                d = batch[i]
                t0 = time.perf_counter()
                try:
                    ok = client.post(d.path, content=d.body, headers=d.headers).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += not ok

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors, time.perf_counter() - start


def drain(url: str) -> tuple[dict[str, int], int, float]:
    """Wait (bounded) for background processing; (events by status, leads created, seconds)."""
    engine = get_engine(url)
    t0 = time.perf_counter()
    while True:
        with Session(engine) as s:
            by_status = dict(s.exec(select(ChannelEvent.status, func.count()).group_by(ChannelEvent.status)).all())
            leads = s.exec(select(func.count()).select_from(Lead)).one()
        if not by_status.get("received") or time.perf_counter() - t0 > DRAIN_TIMEOUT:
            return by_status, leads, time.perf_counter() - t0
        time.sleep(0.5)


def run(kind: str, args: argparse.Namespace, rate: float | None) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = prepare(kind, workdir)
        batch, unique = deliveries(args.deliveries)
        warmup, _ = deliveries(WARMUP, offset=90_000, repeat=False)
        unique += WARMUP
        proc, base = start_api(url, workdir, workers=args.workers, extra_env={"CRM_CHATBOT_SECRET_HANA": HANA_SECRET})
        try:
            _, warmup_errors, _ = send_all(base, warmup, args.senders, rate)
            latencies, errors, wall = send_all(base, batch, args.senders, rate)
            errors += warmup_errors
            by_status, leads, drained = drain(url)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            get_engine(url).dispose()
    stored = sum(by_status.values())
    q = statistics.quantiles(latencies, n=100)
    label = (f"{rate:.0f}/s" if rate else "unpaced") + (f" workers={args.workers}" if args.workers > 1 else "")
    ok = errors == 0 and stored == unique and leads == unique and by_status.get("processed") == unique
    print(f"[{kind} {label}] deliveries={len(batch)} (+{WARMUP} warm-up) senders={args.senders} non200={errors} "
          f"throughput={len(batch) / wall:.1f}/s p50={q[49]:.1f}ms p99={q[98]:.1f}ms max={max(latencies):.1f}ms | "
          f"events stored={stored} expected={unique} statuses={by_status} leads={leads} expected={unique} "
          f"drain={drained:.1f}s -> {'OK' if ok else 'MISMATCH'}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0, help="deliveries per second for the paced run")
    parser.add_argument("--unpaced", action="store_true", help="also run as fast as the senders can")
    parser.add_argument("--workers", type=int, default=1, help="app worker processes")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    ok = True
    for kind in kinds:
        ok &= run(kind, args, args.rate)
        if args.unpaced:
            ok &= run(kind, args, None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
