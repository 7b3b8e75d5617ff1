"""SQLite: an import's WAL checkpoints run beside its writer, on a thread and connection of their
own (writer._checkpoints_aside), not inside its commits. The WAL must still be copied into the
database while the import goes on, and every pooled connection checkpoints by itself afterwards."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from sqlalchemy.engine import Engine

from crm_app.db import write_session
from crm_app.services import importer
from crm_app.services.demo import ensure_demo_users
from tests.fixtures.importer import actor, data_dir, options, write_xlsx

__all__ = ["data_dir"]

HEAD = ["Họ", "Tên", "Di động", "Mô tả"]


def test_the_wal_is_copied_back_while_an_import_writes(sqlite_engine: Engine, data_dir: Path,
                                                        tmp_path: Path) -> None:
    with write_session(sqlite_engine) as session:
        ensure_demo_users(session=session)
    rows = [["Nguyễn", f"Khách {i}", f"0912{i:06d}", "ghi chú dài " * 20] for i in range(4000)]
    path = write_xlsx(tmp_path / "nhieu.xlsx", [HEAD, *rows])
    database = Path(sqlite_engine.url.database or "")
    before = database.stat().st_size
    sizes: list[int] = []  # the database file's size as each batch is reported committed
    who = actor(sqlite_engine)
    with write_session(sqlite_engine) as session:
        job_id = importer.create_job(session, who, path, path.name, options(sqlite_engine, HEAD)).id
    assert job_id is not None

    result = importer.run_job(sqlite_engine, job_id, batch_size=250,
                              progress=lambda done, total: sizes.append(database.stat().st_size))

    assert result.created == 4000 and len(sizes) == 17  # before the first batch, then one per batch
    # Without checkpoints the rows would sit in the WAL and the file would not grow until the end.
    assert sizes[-1] - before > 1_000_000
    with write_session(sqlite_engine) as session:
        importer.release_lock(session, who, job_id)
    with ExitStack() as stack:  # every connection the pool holds, the writer's among them
        conns = [stack.enter_context(sqlite_engine.connect()) for _ in range(5)]
        assert {c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() for c in conns} == {1000}
