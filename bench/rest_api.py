"""REST API benchmark (issue 17): `GET /api/raw-leads?mobile=…` (a caller's phone, written as people
write it) and `?q=…&limit=50` (the quick search) against 200,000 raw leads on SQLite and 1,000,000 on
PostgreSQL, 200 requests from 8 concurrent client processes (three rounds: the verdict takes the
median round's p95), each compared in the same run with the same query through the service
in-process from 8 threads (the ratio is the HTTP overhead: auth, routing, JSON, the server).

    .venv/bin/python bench/rest_api.py [--db sqlite|postgresql|both] [--sqlite-rows N] [--pg-rows N]

Target: p95 of the phone lookup over HTTP under 50 ms. The databases are kept between runs (same
row count: not rebuilt); --rebuild forces it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (bench/queue.py)

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from bench.benchdb import BenchDb, count, load  # noqa: E402
from crm_app.api import rest  # noqa: E402
from crm_app.db import get_engine, read_session  # noqa: E402
from crm_app.models import RawLead, User  # noqa: E402
from crm_app.services import api_tokens  # noqa: E402
from crm_app.services.api_tokens import ApiPrincipal  # noqa: E402
from crm_app.services.auth import Actor  # noqa: E402
from crm_app.services.demo import demo_raw_lead_rows  # noqa: E402
from tests.apprunner import start_api  # noqa: E402

DB = BenchDb("crm_bench_rest")
REQUESTS, CLIENTS = 200, 8
SEARCH = "nguyen hoa"
TOKEN = "bench-rest-bootstrap-token"  # noqa: S105 - a throw-away API started by this script


def build(kind: str, rows: int, rebuild: bool) -> None:
    """A migrated database with `rows` demo raw leads (kept when it already has them)."""
    engine = DB.engine(kind)
    if count(engine, RawLead) == rows and not rebuild:
        print(f"[{kind}] reusing {rows:,} raw leads")
        return
    users = DB.reset(kind, engine)
    started = time.perf_counter()
    if kind == "postgresql":  # the trigram index is built once after the load, not row by row
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_raw_leads_search_trgm"))
    for chunk, start in enumerate(range(0, rows, 50_000)):
        load(engine, kind, RawLead, demo_raw_lead_rows(min(50_000, rows - start), users, seed=chunk))
    with engine.begin() as conn:
        if kind == "postgresql":  # as migration 0002 creates it
            conn.execute(text("CREATE INDEX ix_raw_leads_search_trgm ON raw_leads "
                              "USING gin (search_text gin_trgm_ops)"))
        conn.execute(text("ANALYZE"))
    print(f"[{kind}] built {rows:,} raw leads in {time.perf_counter() - started:.0f} s")


def spellings(mobile: str) -> list[str]:
    """The ways a call-centre tool passes a caller's number."""
    national = mobile[3:]
    return [f"0{national}", mobile, f"84{national}", f"0{national[:3]} {national[3:6]} {national[6:]}"]


def timed(calls: list[Callable[[], int]]) -> list[float]:
    """Milliseconds per call, `CLIENTS` at a time; each call returns how many items it got."""
    def one(call: Callable[[], int]) -> float:
        start = time.perf_counter()
        assert call() >= 0
        return (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, calls))


_client: httpx.Client | None = None  # a client process's own (see `http_clients`)


def _start_client(base: str) -> None:
    global _client
    _client = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"})


def _get(params: dict[str, str]) -> float:
    """One request from a client process: milliseconds until its JSON is read."""
    assert _client is not None
    start = time.perf_counter()
    answer = _client.get("/api/raw-leads", params=params)
    items = answer.json()["items"] if answer.status_code == 200 else None
    elapsed = (time.perf_counter() - start) * 1000
    assert items is not None, answer.text
    return elapsed


def http_clients(base: str) -> ProcessPoolExecutor:
    """`CLIENTS` client programs, each a process of its own with one kept-alive connection, as
    integrations are: eight client threads in one interpreter would wait for each other's GIL
    after every response and add that wait to the server's latency."""
    return ProcessPoolExecutor(CLIENTS, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_client, initargs=(base,))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(kind: str, rows: int, rebuild: bool, workdir: Path, workers: int, rounds: int) -> bool:
    build(kind, rows, rebuild)
    url = DB.url(kind)
    engine = get_engine(url)
    with Session(engine) as s:
        # Callers from the whole table (not its first pages, which a cache would hold).
        top = s.execute(select(func.max(RawLead.id))).scalar_one()
        rng = random.Random(17)
        picked = rng.sample(range(1, top + 1), min(top, (2 + rounds) * REQUESTS))
        mobiles = [m for (m,) in s.exec(select(RawLead.mobile).where(  # type: ignore[union-attr]
            col(RawLead.id).in_(picked), col(RawLead.mobile).is_not(None)))]
        admin = Actor.of(s.exec(select(User).where(User.username == "admin")).one()[0])
    rng.shuffle(mobiles)
    # Each round looks up callers of its own, written the ways people write them.
    lookups = [rng.choice(spellings(m)) for m in mobiles]
    warm, rounds_of = lookups[:8 * CLIENTS], [lookups[(1 + r) * REQUESTS:(2 + r) * REQUESTS] for r in range(rounds)]
    process, base = start_api(url, workdir, workers=workers, consumer=False,
                              extra_env={"CRM_API_TOKEN": TOKEN, "CRM_API_RATE": "1000000", "CRM_API_BURST": "1000000"})
    clients = http_clients(base)

    def over_http(params: list[dict[str, str]]) -> list[float]:
        return list(clients.map(_get, params))

    principal = ApiPrincipal(admin, True, api_tokens.BOOTSTRAP_PRINCIPAL, None, None)

    def service(mobile: str = "", q: str = "") -> Callable[[], int]:
        """The route's own query and items, without HTTP, auth or JSON."""
        def call() -> int:
            with read_session(engine) as s:  # as the route reads
                filters = rest.ContactFilters(mobile=mobile, phone="", email="", q=q)
                common = rest.Common(status="", assigned_to="", updated_since=None, created_from=None,
                                     created_to=None, limit=50, after=None)
                page = rest.contact_page(s, principal, RawLead, filters, common, None)
                return len(rest._contact_items(s, page.records))
        return call

    try:
        # Warm every client process's connection and every web worker (a deployed API is warm): the
        # measured requests then hold no TCP set-up and no worker's first-request start-up.
        over_http([{"mobile": m} for m in warm])
        assert service(mobile=warm[0])() >= 1, "the phone lookup found nothing"
        results: dict[str, list[tuple[list[float], list[float]]]] = {"mobile=…": [], f"q={SEARCH}&limit=50": []}
        for callers in rounds_of:
            results["mobile=…"].append((over_http([{"mobile": m} for m in callers]),
                                       timed([service(mobile=m) for m in callers])))
            results[f"q={SEARCH}&limit=50"].append((over_http([{"q": SEARCH, "limit": "50"}] * REQUESTS),
                                                    timed([service(q=SEARCH)] * REQUESTS)))
    finally:
        clients.shutdown()
        process.terminate()
        process.wait(timeout=30)
        engine.dispose()
    print(f"\n[{kind}] {rows:,} raw leads; {REQUESTS} requests from {CLIENTS} concurrent client processes per round, "
          f"{rounds} rounds; {workers} web worker(s) on {os.cpu_count()} cores")
    print(f"{'query':<24}{'HTTP p50':>10}{'HTTP p95':>10}{'service p50':>13}{'service p95':>13}"
          f"{'HTTP/service p50':>18}")
    for name, measured in results.items():
        for over_http, in_process in measured:
            print(f"{name:<24}{statistics.median(over_http):>8.1f}ms{pct(over_http, 0.95):>8.1f}ms"
                  f"{statistics.median(in_process):>11.1f}ms{pct(in_process, 0.95):>11.1f}ms"
                  f"{statistics.median(over_http) / statistics.median(in_process):>17.2f}x")
    # A shared machine's neighbours move one round's tail by half: the verdict is the median round's.
    p95s = [pct(over_http, 0.95) for over_http, _ in results["mobile=…"]]
    print(f"[{kind}] phone lookup HTTP p95 by round: {', '.join(f'{p:.1f}' for p in p95s)} ms; "
          f"median {statistics.median(p95s):.1f} ms (target < 50 ms)")
    return statistics.median(p95s) < 50


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sqlite-rows", type=int, default=200_000)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="web worker processes (default: one per core, as a deployment runs them)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of 200 requests each")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            ok &= run(kind, args.sqlite_rows if kind == "sqlite" else args.pg_rows, args.rebuild, Path(workdir),
                      args.workers, args.rounds)
    print("\ntarget (phone lookup p95 < 50 ms over HTTP):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
