"""Dashboard benchmark (issue: overview dashboard): time to compute every figure of a 30-day
dashboard, for an admin (everyone) and for one salesperson's scope.

    .venv/bin/python bench/dashboard.py [--db sqlite|postgresql|both] [--pg-rows 1000000]
                                        [--sqlite-rows 200000] [--repeat 20]

Raw leads arrive uniformly over the last 60 days (so a 30-day period holds about half of them),
about 15% converted to a Lead 0-72 h later. The PostgreSQL data lives in `crm_bench` (never
`test`: tests reset it) and is reused when its marker says it holds the same data; SQLite is
rebuilt in a temporary file each run. Prints p50/p95 per scope (target: p95 < 300 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (see queue.py)

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.exc import ProgrammingError  # noqa: E402
from sqlmodel import Session  # noqa: E402

from crm_app.db import get_engine, write_session  # noqa: E402
from crm_app.models import Lead, OrgSetting, RawLead, utcnow  # noqa: E402
from crm_app.services import clock, dashboard, migrations  # noqa: E402
from crm_app.services.auth import Actor  # noqa: E402
from crm_app.services.demo import demo_raw_lead_rows, ensure_demo_users  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/crm_bench"  # its own database: tests reset `test`
MARKER = "bench.dashboard"
BATCH = 20_000
DAYS = 60
CONVERTED = 0.15
POOL = 5_000
CHANNELS = ("Thủ công", "Import", "Zalo OA", "Zalo Ads Form", "Hana", "Botbanhang", "Facebook Lead Ads", "Webform")
CHANNEL_WEIGHTS = (20, 20, 15, 8, 10, 7, 12, 8)
OPEN_STATUSES = ("Mới", "Mới", "Đang chăm sóc", "Không tiềm năng")
TARGET_MS = 300


def batches(rows: int, users: list[int], seed: int) -> Any:
    """(leads, raw leads) per batch of BATCH raw leads; lead ids are given explicitly so raw leads can
    point at them without a round trip (the tables are empty when the build starts).

    Contact fields are copied from a pool of realistic demo rows: rows of a realistic width matter,
    a narrow table makes a sequential scan look cheaper to the planner than it is in production."""
    rng = random.Random(seed)
    pool = demo_raw_lead_rows(POOL, users, seed=seed)
    now = utcnow()
    span = DAYS * 86_400
    lead_id = 0
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        channels = rng.choices(CHANNELS, CHANNEL_WEIGHTS, k=n)
        owners = rng.choices(users, k=n)
        leads: list[dict[str, Any]] = []
        raws: list[dict[str, Any]] = []
        for channel, owner in zip(channels, owners, strict=True):
            created = now - timedelta(seconds=rng.randrange(span))
            converted_id = None
            status = rng.choice(OPEN_STATUSES)
            if rng.random() < CONVERTED:
                lead_id += 1
                converted_id, status = lead_id, "Đã chuyển đổi"
                at = created + timedelta(minutes=rng.randrange(72 * 60))
                leads.append({"id": lead_id, "first_name": "Lead", "assigned_to_id": owner, "input_source": channel,
                              "search_text": "", "custom": {}, "created_at": at, "modified_at": at})
            raws.append({**rng.choice(pool), "assigned_to_id": owner, "input_source": channel, "status": status,
                         "converted_lead_id": converted_id, "created_at": created, "modified_at": created,
                         "created_by_id": owner, "modified_by_id": owner})
        yield leads, raws


def marker_value(rows: int) -> dict[str, Any]:
    return {"rows": rows, "days": DAYS, "converted": CONVERTED, "pool": POOL, "built": date.today().isoformat()}


def existing_marker(url: str) -> Any:
    try:
        with Session(get_engine(url)) as s:
            row = s.get(OrgSetting, MARKER)
            return row.value if row else None
    except ProgrammingError:  # no schema yet
        return None


def build(url: str, rows: int) -> None:
    postgres = url.startswith("postgresql")
    if postgres:
        admin = get_engine(url.rsplit("/", 1)[0] + "/test").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'crm_bench'")).scalar():
                conn.execute(text("CREATE DATABASE crm_bench"))
        # Data is spread back from the build day: reuse it only on the day it was built, so the
        # 30-day period still holds half of it.
        if existing_marker(url) == marker_value(rows):
            migrations.upgrade(url)  # a newer migration (index) still gets applied
            print(f"[postgresql] reusing crm_bench ({rows:,} raw leads)")
            return
        with get_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(url)
    engine = get_engine(url)
    with write_session(engine) as s:
        ids = ensure_demo_users(session=s)
    users = [v for k, v in ids.items() if k != "admin"]
    started = time.perf_counter()
    for leads, raws in batches(rows, users, seed=rows):
        with write_session(engine) as s:
            if leads:
                s.execute(insert(Lead), leads)
            s.execute(insert(RawLead), raws)
    with write_session(engine) as s:
        if postgres:
            s.execute(text("SELECT setval(pg_get_serial_sequence('leads', 'id'), (SELECT max(id) FROM leads))"))
        s.merge(OrgSetting(key=MARKER, value=marker_value(rows)))
    # Index-only scans need the visibility map (VACUUM); both planners need statistics.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    kind = "postgresql" if postgres else "sqlite"
    print(f"[{kind}] built {rows:,} raw leads in {time.perf_counter() - started:.0f} s")


def measure(url: str, actor: Actor, query: dashboard.DashboardQuery, repeat: int) -> list[float]:
    engine = get_engine(url)
    times = []
    for i in range(repeat + 3):
        start = time.perf_counter()
        with Session(engine) as s:
            dash = dashboard.compute(s, actor, query)
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 3:  # warm-up
            times.append(elapsed)
    assert sum(f["raw_leads"] for f in dash.funnel) > 0
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(kind: str, rows: int, repeat: int) -> bool:
    url = PG_URL if kind == "postgresql" else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    build(url, rows)
    with Session(get_engine(url)) as s:
        ids = ensure_demo_users(session=s)
    admin = Actor(id=ids["admin"], username="admin", full_name="Admin", role="admin")
    start, end = dashboard.range_for("30d", clock.today(clock.default_zone()))
    scopes = {"admin, everyone": dashboard.DashboardQuery(start, end, None),
              "admin, one user": dashboard.DashboardQuery(start, end, ids["thuhuong"])}
    ok = True
    print(f"[{kind}] all dashboard figures, 30 days, {rows:,} raw leads, {repeat} runs")
    for name, query in scopes.items():
        times = measure(url, admin, query, repeat)
        p95 = pct(times, 0.95)
        ok &= p95 < TARGET_MS
        print(f"[{kind}] {name:<16} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms")
    get_engine(url).dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    ok = all([run(kind, args.pg_rows if kind == "postgresql" else args.sqlite_rows, args.repeat) for kind in kinds])
    print(f"target (p95 < {TARGET_MS} ms):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
