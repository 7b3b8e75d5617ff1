"""The import lock: one unfinished import per module, across users and workers."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from crm_app.db import read_session, write_session
from crm_app.i18n import UserError
from crm_app.models import ImportJob, utcnow
from crm_app.services import importer
from crm_app.services.auth import Actor, PermissionDenied
from tests.fixtures.importer import actor, data_dir, write_xlsx

__all__ = ["data_dir"]


def test_second_user_is_told_who_holds_the_lock(engine: Engine, demo_users: dict[str, int]) -> None:
    huong, hieu = actor(engine, "thuhuong"), actor(engine, "hieu.nguyen")
    with write_session(engine) as session:
        importer.acquire_lock(session, huong)
    with write_session(engine) as session:
        assert importer.acquire_lock(session, huong).user_id == huong.id  # the holder comes back
    with pytest.raises(UserError) as info, write_session(engine) as session:
        importer.acquire_lock(session, hieu)
    message = info.value.message()
    assert "Nguyễn Thu Hường" in message and "thuhuong" in message and "Kết thúc" in message
    assert info.value.key == "import.lock.held" and "/" in message  # the start time, dd/mm/yyyy
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        importer.release_lock(session, hieu)
    with write_session(engine) as session:
        assert importer.release_lock(session, huong)  # "Kết thúc"
    with write_session(engine) as session:
        assert importer.acquire_lock(session, hieu).user_id == hieu.id


def test_admin_force_release(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    huong, admin = actor(engine, "thuhuong"), actor(engine, "admin")
    path = write_xlsx(tmp_path / "a.xlsx", [["Tên"], ["An"]])
    with write_session(engine) as session:
        job_id = importer.create_job(session, huong, path, "a.xlsx",
                                     importer.ImportOptions(mapping={"Tên": "first_name"})).id
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        importer.force_release(session, actor(engine, "hieu.nguyen"))
    with write_session(engine) as session:
        assert importer.force_release(session, admin)
    with read_session(engine) as session:
        assert importer.current_lock(session) is None
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "failed"


def test_lock_of_a_dead_job_is_taken_over(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                          tmp_path: Path) -> None:
    huong, hieu = actor(engine, "thuhuong"), actor(engine, "hieu.nguyen")
    path = write_xlsx(tmp_path / "a.xlsx", [["Tên"], ["An"]])
    with write_session(engine) as session:
        job = importer.create_job(session, huong, path, "a.xlsx", importer.ImportOptions(mapping={"Tên": "first_name"}))
        job.status = "running"
        job.heartbeat_at = utcnow() - timedelta(seconds=20)
        session.add(job)
    with pytest.raises(UserError), write_session(engine) as session:  # 20 s: between two heartbeats, maybe
        importer.acquire_lock(session, hieu)
    with write_session(engine) as session:
        job = session.get(ImportJob, job.id)
        assert job is not None
        job.heartbeat_at = utcnow() - timedelta(minutes=2)  # past CRM_IMPORT_STALE_SECONDS (60)
        session.add(job)
    with write_session(engine) as session:
        assert importer.acquire_lock(session, hieu).user_id == hieu.id


def test_one_winner_among_concurrent_takers(engine: Engine, demo_users: dict[str, int]) -> None:
    users = [actor(engine, name) for name in ("thuhuong", "hieu.nguyen", "dung.vu", "phu.vo")]
    winners: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(users))

    def take(who: Actor) -> None:
        barrier.wait()
        try:
            with write_session(engine) as session:
                importer.acquire_lock(session, who)
            winners.append(who.username)
        except UserError as exc:
            errors.append(exc.key)

    threads = [threading.Thread(target=take, args=(u,)) for u in users]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(winners) == 1 and errors == ["import.lock.held"] * 3
    with read_session(engine) as session:
        lock = importer.current_lock(session)
        assert lock is not None and lock.user_id == next(u.id for u in users if u.username == winners[0])


def test_a_running_job_blocks_a_new_one(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                        tmp_path: Path) -> None:
    huong = actor(engine, "thuhuong")
    path = write_xlsx(tmp_path / "a.xlsx", [["Tên"], ["An"]])
    opts = importer.ImportOptions(mapping={"Tên": "first_name"})
    with write_session(engine) as session:
        importer.create_job(session, huong, path, "a.xlsx", opts)
    with pytest.raises(UserError) as info, write_session(engine) as session:
        importer.create_job(session, huong, path, "a.xlsx", opts)
    assert info.value.key == "import.job.unfinished"
