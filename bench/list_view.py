"""List-view benchmark (issue 3): first page, filtered page (source + search text) and a page
sorted by a non-key column, at 200,000 raw leads, each compared with the same query at 2,000.

    .venv/bin/python bench/list_view.py [--db sqlite|postgresql|both] [--rows 200000]

Prints p50/p95 per query and the ratio large/small (target: ratio < 3, p95 < 150 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (see queue.py)

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from crm_app.db import get_engine, write_session  # noqa: E402
from crm_app.models import RawLead  # noqa: E402
from crm_app.services import migrations  # noqa: E402
from crm_app.services.auth import Actor  # noqa: E402
from crm_app.services.demo import demo_raw_lead_rows, ensure_demo_users  # noqa: E402
from crm_app.services.raw_leads.query import ListQuery, list_page  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/crm_bench"  # its own database: tests reset `test`
COLUMNS = ["last_name", "first_name", "mobile", "email", "company", "lead_source", "status", "assigned_to",
           "created_at"]
QUERIES = {
    "first page": ListQuery(),
    "source + search": ListQuery(search="nguyen hoa",
                                 conditions=[{"field": "lead_source", "op": "eq", "value": "Facebook"}]),
    "sorted by company": ListQuery(sort="company", descending=False, page=3),
}


def build(url: str, rows: int) -> Actor:
    if url.startswith("postgresql"):
        admin = get_engine(url.rsplit("/", 1)[0] + "/test").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'crm_bench'")).scalar():
                conn.execute(text("CREATE DATABASE crm_bench"))
        engine = get_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(url)
    engine = get_engine(url)
    with write_session(engine) as s:
        ids = ensure_demo_users(session=s)
    users = [v for k, v in ids.items() if k != "admin"]
    data = demo_raw_lead_rows(rows, users, seed=rows)
    for start in range(0, rows, 10_000):
        with write_session(engine) as s:
            s.execute(insert(RawLead), data[start:start + 10_000])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return Actor(id=ids["admin"], username="admin", full_name="Admin", role="admin")


def measure(url: str, actor: Actor, repeat: int) -> dict[str, list[float]]:
    engine = get_engine(url)
    out: dict[str, list[float]] = {}
    for name, query in QUERIES.items():
        times = []
        for i in range(repeat + 3):
            start = time.perf_counter()
            with Session(engine) as s:
                page = list_page(s, actor, query, COLUMNS)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 3:  # warm-up
                times.append(elapsed)
        assert page.rows, name
        out[name] = times
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(kind: str, rows: int, repeat: int) -> bool:
    results = {}
    for n in (2_000, rows):
        url = PG_URL if kind == "postgresql" else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        actor = build(url, n)
        results[n] = measure(url, actor, repeat)
        get_engine(url).dispose()
    ok = True
    print(f"\n[{kind}] {rows:,} vs 2,000 raw leads, {repeat} runs each")
    print(f"{'query':<20}{'p50 small':>11}{'p50 large':>11}{'p95 large':>11}{'ratio p50':>11}")
    for name in QUERIES:
        small, large = results[2_000][name], results[rows][name]
        ratio = statistics.median(large) / statistics.median(small)
        p95 = pct(large, 0.95)
        ok &= ratio < 3 and p95 < 150
        print(f"{name:<20}{statistics.median(small):>9.1f}ms{statistics.median(large):>9.1f}ms"
              f"{p95:>9.1f}ms{ratio:>10.2f}x")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    ok = all([run(kind, args.rows, args.repeat) for kind in kinds])
    print("\ntargets (ratio < 3, p95 < 150 ms):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
