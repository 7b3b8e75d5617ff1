"""Crash mid-import at scale (issues 10, 18): two consumers; kill -9 the one running a 100,000-row
import; the other resumes it from its checkpoint once the heartbeat is stale (production setting,
60 s). Checks that every committed batch is intact, nothing is imported twice, the counts equal a
dry run (an uninterrupted import of the file), and the resumption came within a minute.

    .venv/bin/python bench/crash_import.py [--rows 100000] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repo, not bench/ (see queue.py)

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import func, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from crm_app.db import get_engine, read_session, write_session  # noqa: E402
from crm_app.models import ImportJob, RawLead, User  # noqa: E402
from crm_app.services import importer, migrations, tasks  # noqa: E402
from crm_app.services.auth import Actor  # noqa: E402
from crm_app.services.demo import ensure_demo_users  # noqa: E402
from crm_app.services.importer import ImportOptions  # noqa: E402
from crm_app.settings import get_settings  # noqa: E402
from tests.apprunner import start_worker  # noqa: E402


def make_file(path: Path, rows: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Họ", "Tên", "Di động", "Email"])
    for i in range(rows):
        # every 10th row repeats an earlier mobile in another format: a within-file duplicate
        mobile = f"+849{(i - 5) % rows:08d}" if i % 10 == 9 else f"09{i:08d}"
        ws.append(["Trần", f"Khách {i}" if i % 97 else "", mobile, f"k{i}@crash.vn"])
    wb.save(path)


def state(engine, job_id: int) -> tuple[ImportJob, int, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        job = s.get(ImportJob, job_id)
        count = s.exec(select(func.count()).select_from(RawLead).where(RawLead.import_job_id == job_id)).one()
        distinct = s.exec(select(func.count(func.distinct(RawLead.mobile)))
                          .where(RawLead.import_job_id == job_id)).one()
    assert job is not None
    return job, count, distinct


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    if args.db == "sqlite":
        url = f"sqlite:///{work / 'crash.db'}"
    else:
        url = "postgresql://postgres@127.0.0.1:5432/crm_crash"
        server = get_engine("postgresql://postgres@127.0.0.1:5432/test").execution_options(isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS crm_crash WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE crm_crash"))
    os.environ.update(CRM_DATA_DIR=str(work), DATABASE_URL=url)  # the consumers' settings, and the queue's
    get_settings.cache_clear()
    migrations.upgrade(url)
    engine = get_engine(url)
    with write_session(engine) as s:
        ensure_demo_users(session=s)
        who = Actor.of(s.exec(select(User).where(User.username == "thuhuong")).one())
    path = work / "big.xlsx"
    make_file(path, args.rows)
    options = ImportOptions(mapping={"Họ": "last_name", "Tên": "first_name", "Di động": "mobile", "Email": "email"},
                            dedup_fields=["mobile"], on_duplicate="skip")
    expected = importer.dry_run(engine, path=path, options=options, actor=who)
    with write_session(engine) as s:
        job_id = importer.create_job(s, who, path, path.name, options).id or 0

    consumers = [start_worker(dict(os.environ), work, threads=1) for _ in range(2)]
    try:
        started = time.perf_counter()
        assert tasks.enqueue_import(job_id)
        while state(engine, job_id)[0].processed < args.rows * 0.4:
            assert state(engine, job_id)[0].status in ("pending", "running"), "the import ended before the kill"
            time.sleep(0.05)
        holder = state(engine, job_id)[0].worker or ""
        [victim] = [c for c in consumers if f":{c.pid}:" in holder]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        killed_after = time.perf_counter() - started
        job, count, distinct = state(engine, job_id)
        stale_at = job.heartbeat_at.timestamp() + get_settings().import_stale_seconds
        whole_batches = job.checkpoint == job.processed + 1
        adds_up = job.created + job.skipped + job.failed == job.processed
        print(f"[{args.db}] consumer killed after {killed_after:.1f}s at processed={job.processed}/{args.rows} "
              f"checkpoint={job.checkpoint} rows in db={count} distinct mobiles={distinct} created={job.created} "
              f"whole batches={whole_batches} counts add up={adds_up}", flush=True)
        while (state(engine, job_id)[0].worker or holder) == holder:
            assert time.time() < stale_at + 300, "nobody resumed the import"
            time.sleep(0.2)
        resumed_after = time.time() - stale_at
        print(f"[{args.db}] the other consumer resumed it {resumed_after:.1f}s after the heartbeat went stale "
              f"(CRM_IMPORT_STALE_SECONDS={get_settings().import_stale_seconds:.0f}; target < 60 s)", flush=True)
        while state(engine, job_id)[0].status == "running":
            time.sleep(0.5)
    finally:
        for consumer in consumers:
            if consumer.poll() is None:
                consumer.terminate()
                consumer.wait()
    result = importer.run_job(engine, job_id)  # done: its result, nothing run again
    job, count, distinct = state(engine, job_id)
    print(f"[{args.db}] resumed: status={job.status} total={result.total} created={result.created} "
          f"skipped={result.skipped} failed={result.failed} rows in db={count} distinct mobiles={distinct}")
    print(f"[{args.db}] dry run expected: created={expected.created} skipped={expected.skipped} "
          f"failed={expected.failed}")
    ok = (whole_batches and adds_up and count == distinct == result.created and resumed_after < 60
          and (result.created, result.skipped, result.failed) == (expected.created, expected.skipped, expected.failed))
    print(f"[{args.db}] intact after kill -9 and resume, nothing imported twice: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
