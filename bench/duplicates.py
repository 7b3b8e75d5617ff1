"""Tìm trùng benchmark (issue 23).

1. Finding duplicate groups (services/duplicates.find_groups, first page, as an admin) over N raw
   leads + M Leads — 1,000,000 + 100,000 on PostgreSQL, 200,000 (+ 20,000 Leads) on SQLite by
   default. About 2 % of the raw leads reuse another's mobile (written in another form), 0.5 %
   another's email in capitals, and 5 % of the Leads a raw lead's mobile as their phone. Baseline,
   same run, same database: the simplest duplicate query there is — `GROUP BY mobile HAVING
   count(*) > 1` on raw leads alone. Target: under 5 s on PostgreSQL.
2. Merging a group of 5 raw leads carrying 200 timeline entries (and 10 activities), then undoing
   it, 20 times: p50/p95 of the merge; baseline, same run: an ordinary one-field edit
   (update_record). Target: merge p95 under 300 ms.

    .venv/bin/python bench/duplicates.py [--db sqlite|postgresql|both] [--pg-rows N] [--pg-leads N]
                                         [--sqlite-rows N] [--sqlite-leads N] [--rebuild]

The databases are kept between runs (same row counts: not rebuilt).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (bench/queue.py)

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.benchdb import BenchDb, count, load  # noqa: E402
from crm_app.db import get_engine, read_session, write_session  # noqa: E402
from crm_app.models import AuditEntry, Lead, RawLead, User  # noqa: E402
from crm_app.services import activities, clock, duplicates, migrations  # noqa: E402
from crm_app.services.auth import Actor  # noqa: E402
from crm_app.services.demo import demo_raw_lead_rows  # noqa: E402
from crm_app.services.raw_leads.records import create, update_record  # noqa: E402

DB = BenchDb("crm_bench_duplicates")
MERGES = 20
LEAD_ONLY = ("converted_lead_id", "import_job_id")


def _rows(count: int, users: list[int], seed: int, rng: random.Random, pool: list[str]) -> list[dict[str, Any]]:
    data = demo_raw_lead_rows(count, users, seed=seed)
    for row in data:
        row["search_text"] = f"{row['last_name']} {row['first_name']}".lower()  # not searched here
        roll = rng.random()
        if roll < 0.02 and pool:
            row["mobile"] = rng.choice(pool)  # stored E.164: every spelling of it arrives as this
        elif roll < 0.025 and row.get("email") is None and pool:
            row["email"] = f"KHACH{rng.randrange(len(pool) // 10 + 1)}@Example.vn"
            row["email_key"] = row["email"].lower()
        if row["mobile"] and len(pool) < 200_000:
            pool.append(row["mobile"])
    return data


def build(kind: str, rows: int, leads: int, rebuild: bool) -> None:
    engine = DB.engine(kind)
    have = (count(engine, RawLead), count(engine, Lead))
    if have[1] == leads and rows <= have[0] < rows + 10_000 and not rebuild:  # + the merge bench's records
        migrations.upgrade(DB.url(kind))  # a schema from an older checkout gains the new columns
        print(f"[{kind}] reusing {rows:,} raw leads + {leads:,} Leads")
        return
    users = DB.reset(kind, engine)
    started = time.perf_counter()
    rng = random.Random(23)
    pool: list[str] = []
    for table, total, model in (("raw_leads", rows, RawLead), ("leads", leads, Lead)):
        for chunk, start in enumerate(range(0, total, 50_000)):
            data = _rows(min(50_000, total - start), users, chunk + (0 if table == "raw_leads" else 10_000), rng, pool)
            if table == "leads":
                for row in data:
                    for key in LEAD_ONLY:
                        row.pop(key, None)
                    if rng.random() < 0.05 and pool:
                        row["phone"] = rng.choice(pool)
            load(engine, kind, model, data)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(f"[{kind}] built {rows:,} raw leads + {leads:,} Leads in {time.perf_counter() - started:.0f} s")


def _admin(engine: Engine) -> Actor:
    with Session(engine) as s:
        return Actor.of(s.execute(select(User).where(User.username == "admin")).scalar_one())


def bench_find(kind: str) -> None:
    engine = get_engine(DB.url(kind))
    admin = _admin(engine)
    baseline_sql = text("SELECT count(*) FROM (SELECT mobile FROM raw_leads WHERE mobile IS NOT NULL "
                        "GROUP BY mobile HAVING count(*) > 1) d")
    with engine.connect() as conn:  # warm the cache the same for both
        conn.execute(baseline_sql).scalar()
    runs, base_runs = [], []
    for _ in range(3):
        start = time.perf_counter()
        with engine.connect() as conn:
            base_groups = conn.execute(baseline_sql).scalar()
        base_runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        with read_session(engine) as s:
            page = duplicates.find_groups(s, admin)
        runs.append(time.perf_counter() - start)
    found, base = min(runs), min(base_runs)
    sizes = [g.size for g in page.groups[:5]]
    print(f"[{kind}] find_groups: {found:.2f} s (best of 3; runs {', '.join(f'{r:.2f}' for r in runs)}), "
          f"{page.total:,} groups, largest {sizes}")
    print(f"[{kind}] baseline GROUP BY mobile on raw leads only: {base:.2f} s ({base_groups:,} keys); "
          f"ratio {found / base:.1f}x")


def bench_merge(kind: str) -> None:
    engine = get_engine(DB.url(kind))
    admin = _admin(engine)
    with write_session(engine) as s:
        refs = []
        for i in range(5):
            record = create(s, admin, {"first_name": f"Gộp {i}", "mobile": "0977 555 0" + f"{i:02d}"[-2:],
                                       "email": "bench.merge@example.vn"})
            refs.append(f"raw_lead:{record.id}")
            for n in range(38):
                s.add(AuditEntry(entity="raw_lead", entity_id=record.id or 0, action="updated",
                                 user_id=admin.id, changes={"description": [None, f"ghi {n}"]}))
            activities.add_note(s, admin, "raw_lead", record.id or 0, note=f"ghi chú {i}")
            activities.add_task(s, admin, "raw_lead", record.id or 0, title=f"việc {i}",
                                due_at=activities.parse_due("01/01/2030", "09:00", clock.zone(s)))
        entries = s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "raw_lead", AuditEntry.entity_id.in_([int(r.split(":")[1]) for r in refs])  # type: ignore[attr-defined]
        )).scalar()
    merge_ms, undo_ms, edit_ms = [], [], []
    for i in range(MERGES):
        start = time.perf_counter()
        with write_session(engine) as s:
            merge_id = duplicates.merge(s, admin, refs[1:], kept=refs[0], choices={"first_name": refs[i % 5]}).id
        merge_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        with write_session(engine) as s:
            duplicates.undo_merge(s, admin, merge_id or 0)
        undo_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        with write_session(engine) as s:
            update_record(s, admin, int(refs[0].split(":")[1]), {"company": f"Công ty {i}"})
        edit_ms.append((time.perf_counter() - start) * 1000)

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    print(f"[{kind}] merge of 5 records, {entries} timeline entries + 10 activities, {MERGES} runs: "
          f"p50 {statistics.median(merge_ms):.0f} ms, p95 {p95(merge_ms):.0f} ms; "
          f"undo p95 {p95(undo_ms):.0f} ms")
    print(f"[{kind}] baseline one-field edit: p95 {p95(edit_ms):.0f} ms; merge/edit ratio "
          f"{p95(merge_ms) / p95(edit_ms):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--pg-leads", type=int, default=100_000)
    parser.add_argument("--sqlite-rows", type=int, default=200_000)
    parser.add_argument("--sqlite-leads", type=int, default=20_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        rows, leads = (args.sqlite_rows, args.sqlite_leads) if kind == "sqlite" else (args.pg_rows, args.pg_leads)
        build(kind, rows, leads, args.rebuild)
        bench_find(kind)
        bench_merge(kind)


if __name__ == "__main__":
    main()
