"""A crash mid-import (kill -9) leaves whole batches only; the job resumes without importing a row twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ImportJob, RawLead
from crm_app.services import importer
from tests.fixtures.importer import HEADERS, actor, data_dir, options, write_xlsx

__all__ = ["data_dir"]

ROOT = Path(__file__).resolve().parents[2]
BATCH = 5
RUNNER = """
import sys
from crm_app.db import get_engine
from crm_app.services import importer
importer.run_job(get_engine(sys.argv[1]), int(sys.argv[2]), batch_size=int(sys.argv[3]))
"""


def _rows() -> list[list[object]]:
    rows: list[list[object]] = [HEADERS]
    for i in range(40):
        mobile = f"09{i % 30:08d}"  # rows 31-40 repeat the mobiles of rows 1-10, in other batches
        if i >= 30:
            mobile = "+84" + mobile[1:]
        rows.append(["Nguyễn", f"Khách {i}" if i != 17 else "", mobile, "", ""])
    return rows


def _job(engine: Engine, job_id: int) -> ImportJob:
    with read_session(engine) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def _imported(engine: Engine, job_id: int) -> tuple[int, int]:
    with read_session(engine) as session:
        count = session.exec(select(func.count()).select_from(RawLead).where(RawLead.import_job_id == job_id)).one()
        distinct = session.exec(select(func.count(func.distinct(RawLead.mobile)))
                                .where(RawLead.import_job_id == job_id)).one()
    return count, distinct


def test_kill_mid_import_then_resume(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                     tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "crash.xlsx", _rows())
    who = actor(engine)
    opts = options(engine, HEADERS, dedup_fields=["mobile"], on_duplicate="skip")
    expected = importer.dry_run(engine, path=path, options=opts, actor=who)
    assert (expected.total, expected.created, expected.skipped, expected.failed) == (40, 29, 10, 1)
    with write_session(engine) as session:
        job_id = importer.create_job(session, who, path, path.name, opts).id
    assert job_id is not None

    env = {**os.environ, "CRM_DATA_DIR": str(data_dir), "CRM_IMPORT_BATCH_PAUSE": "0.3",
           "PYTHONPATH": str(ROOT)}
    url = engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, url, str(job_id), str(BATCH)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while _job(engine, job_id).checkpoint == 0:
            assert proc.poll() is None and time.monotonic() < deadline, "the import never committed a batch"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()

    job = _job(engine, job_id)
    assert job.status == "running" and 0 < job.processed < 40
    assert job.processed % BATCH == 0 and job.checkpoint == job.processed + 1  # whole batches only
    count, distinct = _imported(engine, job_id)
    assert count == distinct == job.created
    assert job.created + job.skipped + job.failed == job.processed

    with pytest.raises(UserError) as info:  # its heartbeat is fresh: it could be another worker's
        importer.run_job(engine, job_id, batch_size=BATCH)
    assert info.value.key == "import.job.unfinished"
    result = importer.run_job(engine, job_id, batch_size=BATCH, takeover=True)
    assert (result.total, result.created, result.skipped, result.failed) == (40, 29, 10, 1)
    assert _imported(engine, job_id) == (29, 29)  # nothing imported twice
    assert _job(engine, job_id).status == "done"
