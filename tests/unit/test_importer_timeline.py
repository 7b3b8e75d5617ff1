"""Every record an import creates, overwrites or merges gets a timeline entry naming the import
(linked to its result), with old → new values for overwrite and merge; on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from crm_app import routes
from crm_app.db import read_session
from crm_app.models import RawLead, utcnow
from crm_app.services import importer, timeline
from tests.fixtures.importer import actor, data_dir, leads, options, quick_import, run_import, write_xlsx

__all__ = ["data_dir"]

HEAD = ["Họ", "Tên", "Di động", "Email", "Công ty"]


def existing(engine: Engine, owner: int, **values: object) -> int:
    row = {"first_name": "Cũ", "assigned_to_id": owner, "custom": {}, "search_text": "", "status": "Mới",
           "created_at": utcnow(), "modified_at": utcnow(), **values}
    with engine.begin() as conn:
        return conn.execute(insert(RawLead).returning(RawLead.id), row).scalar_one()


def _lines(engine: Engine, record_id: int) -> list[timeline.TimelineLine]:
    with read_session(engine) as session:
        return timeline.lines(session, "raw_lead", record_id)


@pytest.mark.parametrize("action", ["overwrite", "merge"])
def test_created_and_updated_records_name_the_import_with_old_and_new_values(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path, action: str) -> None:
    old = existing(engine, demo_users["thuhuong"], first_name="Cũ", mobile="+84912345678", company="Công ty Cũ")
    rows = [HEAD, ["Nguyễn", "Mới", "0912345678", "moi@x.vn", "Công ty Mới"]]
    rows += [["Trần", f"Khách {i}", f"09870000{i:02d}", "", ""] for i in range(7)]
    opts = options(engine, HEAD, dedup_fields=["mobile"], on_duplicate=action)
    # Batches of 3: the entries of every batch, not just the first.
    result = run_import(engine, write_xlsx(tmp_path / "t.xlsx", rows), actor(engine), opts, batch_size=3)
    assert result.created == 7 and result.job_id is not None
    source = f"Import #{result.job_id}"
    created = [r.id for r in leads(engine) if r.id != old]
    assert len(created) == 7
    for rid in created:
        (line,) = _lines(engine, rid or 0)
        assert (line.action, line.source, line.import_id, line.who) == ("tạo", source, result.job_id,
                                                                          "Nguyễn Thu Hường")
    (line,) = _lines(engine, old)
    assert line.source == source and line.import_id == result.job_id
    if action == "overwrite":
        assert line.action == "ghi đè (import)"
        assert set(line.changes) == {"Họ: ∅ → Nguyễn", "Tên: Cũ → Mới", "Email: ∅ → moi@x.vn",
                                     "Công ty: Công ty Cũ → Công ty Mới"}
    else:  # merge fills only what was empty
        assert line.action == "gộp trùng (import)"
        assert set(line.changes) == {"Họ: ∅ → Nguyễn", "Email: ∅ → moi@x.vn"}
    assert routes.import_result(line.import_id) == f"/imports/{result.job_id}"


def test_result_summary_behind_the_timeline_link(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                 tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", [HEAD, ["Lê", "An", "0912000001", "", ""], ["Lê", "", "", "", ""]])
    result = quick_import(engine, path)
    assert result.job_id is not None
    with read_session(engine) as session:
        own = importer.job_summary(session, actor(engine, "thuhuong"), result.job_id)
        other = importer.job_summary(session, actor(engine, "dung.vu"), result.job_id)
        admin = importer.job_summary(session, actor(engine, "admin"), result.job_id)
        assert importer.job_summary(session, actor(engine, "admin"), 99999) is None
    assert own is not None and other is not None and admin is not None
    assert (own["created"], own["failed"], own["file"], own["user"]) == (1, 1, "s.xlsx", "Nguyễn Thu Hường")
    assert own["files"]["failed"] and admin["files"]["failed"]
    assert not other["files"]["failed"]  # counts for everyone, the rows themselves for the importer or admins
