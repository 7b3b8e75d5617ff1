"""An import's result files are served to its owner and to admins only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from crm_app.api import build_api
from crm_app.db import write_session
from crm_app.models import ImportJob, User
from crm_app.services.demo import ensure_demo_users
from crm_app.state_cookie import SESSION_COOKIE
from tests.statekit import token_for, using_engine


def test_result_file_only_for_owner_and_admin(sqlite_engine, tmp_path: Path) -> None:
    failed = tmp_path / "failed.xlsx"
    failed.write_bytes(b"PK\x03\x04 not really a workbook")
    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
        owner = s.exec(select(User).where(User.username == "thuhuong")).one()
        job = ImportJob(user_id=owner.id, status="done", failed_file=str(failed), original_name="x.xlsx")
        s.add(job)
        s.flush()
        job_id = job.id
    with using_engine(sqlite_engine):
        client = TestClient(build_api())

        def get(username: str | None) -> int:
            cookies = {SESSION_COOKIE: token_for(sqlite_engine, username)} if username else {}
            client.cookies.clear()
            return client.get(f"/api/import/jobs/{job_id}/failed", cookies=cookies).status_code

        assert [get(None), get("dung.vu"), get("thuhuong"), get("admin")] == [401, 404, 200, 200]
