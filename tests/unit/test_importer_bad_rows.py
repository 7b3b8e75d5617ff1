"""One bad cell never loses a row: a row the database refuses fails alone (the batch is retried row
by row, the database's reason in the failed-rows file); NUL and control characters import on
PostgreSQL as on SQLite; and an import only overwrites or merges records its user may edit."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from crm_app.db import write_session
from crm_app.fields import INPUT_IMPORT, STATUS_NEW
from crm_app.models import RawLead, utcnow
from crm_app.services import org
from tests.fixtures.importer import actor, data_dir, leads, options, run_import, write_xlsx

__all__ = ["data_dir"]

HEAD = ["Họ", "Tên", "Di động", "Email", "Công ty"]


def _refuse_first_name(engine: Engine, name: str) -> None:
    """A rule of the database itself (a trigger), as a CHECK or a foreign key would refuse a row."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON raw_leads WHEN NEW.first_name = '{name}' "
                              "BEGIN SELECT RAISE(ABORT, 'tên bị cấm'); END"))
        else:
            conn.execute(text(f"CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.first_name = '{name}' "
                              "THEN RAISE EXCEPTION 'tên bị cấm'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON raw_leads FOR EACH ROW "
                              "EXECUTE FUNCTION refuse()"))


def test_a_row_the_database_refuses_fails_alone(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                tmp_path: Path) -> None:
    _refuse_first_name(engine, "Cấm")
    rows = [HEAD] + [["Lê", f"Khách {i}", f"09120000{i:02d}", "", ""] for i in range(9)]
    rows[5] = ["Lê", "Cấm", "0912000099", "", "Công ty X"]
    result = run_import(engine, write_xlsx(tmp_path / "r.xlsx", rows), actor(engine),
                        options(engine, HEAD, dedup_fields=["mobile"]), batch_size=4)
    assert (result.created, result.failed) == (8, 1)
    assert sorted(r.first_name for r in leads(engine)) == sorted(f"Khách {i}" for i in range(9) if i != 4)
    assert result.failed_file is not None
    failed = list(load_workbook(result.failed_file).active.iter_rows(values_only=True))
    assert len(failed) == 2 and failed[1][:5] == ("Lê", "Cấm", "0912000099", None, "Công ty X")
    assert failed[1][-2] == "6" and "Cơ sở dữ liệu từ chối dòng này" in failed[1][-1]
    assert "tên bị cấm" in failed[1][-1]
    # Rows written one by one after the refusal carry the values their batch shares (bound once
    # per batch on SQLite) like the others: status, source, job, creator and timestamps.
    shared = {(r.status, r.input_source, r.import_job_id, r.created_by_id, r.created_at is not None, r.company)
              for r in leads(engine)}
    assert shared == {(STATUS_NEW, INPUT_IMPORT, result.job_id, demo_users["thuhuong"], True, None)}


def test_identical_rows_without_duplicate_check_are_all_created(engine: Engine, demo_users: dict[str, int],
                                                                data_dir: Path, tmp_path: Path) -> None:
    # Every column has one value in the batch: nothing varies from row to row.
    rows = [HEAD] + [["Lê", "Văn Tám", "0912000008", "tam@example.com", "Công ty Y"]] * 3
    result = run_import(engine, write_xlsx(tmp_path / "same.xlsx", rows), actor(engine), options(engine, HEAD))
    assert (result.created, result.failed) == (3, 0)
    assert [(r.last_name, r.first_name, r.mobile, r.email, r.company, r.import_job_id) for r in leads(engine)] == [
        ("Lê", "Văn Tám", "+84912000008", "tam@example.com", "Công ty Y", result.job_id)] * 3


def _with_nul(tmp_path: Path) -> Path:
    """Excel writes a NUL typed into a cell as _x0000_ in the shared strings."""
    good = write_xlsx(tmp_path / "nul-src.xlsx", [HEAD, ["Trần", "Có NUL", "0912000001", "", "ACME_x0000_ Corp"],
                                                  ["Trần", "Bình thường", "0912000002", "", "Khác"]])
    out = tmp_path / "nul.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".xml"):
                data = re.sub(rb"ACME_x0000_ Corp", b"ACME_x0000_ Corp\x01", data)
            dst.writestr(info.filename, data)
    return out


def test_nul_and_control_characters_import_on_both_databases(engine: Engine, demo_users: dict[str, int],
                                                              data_dir: Path, tmp_path: Path) -> None:
    path = _with_nul(tmp_path)
    result = run_import(engine, path, actor(engine), options(engine, HEAD))
    assert (result.created, result.failed) == (2, 0)
    companies = sorted(r.company or "" for r in leads(engine))
    assert companies == ["ACME Corp", "Khác"]


def test_only_records_the_user_may_edit_are_overwritten(engine: Engine, demo_users: dict[str, int],
                                                        data_dir: Path, tmp_path: Path) -> None:
    with write_session(engine) as session:
        org.set_visibility(session=session, actor=actor(engine, "admin"), value=org.VISIBILITY_OWN)
    now = utcnow()
    base = {"custom": {}, "search_text": "", "status": "Mới", "created_at": now, "modified_at": now}
    with engine.begin() as conn:
        mine = conn.execute(insert(RawLead).returning(RawLead.id), {
            **base, "first_name": "Của tôi", "mobile": "+84912000001", "assigned_to_id": demo_users["thuhuong"]}
        ).scalar_one()
        theirs = conn.execute(insert(RawLead).returning(RawLead.id), {
            **base, "first_name": "Của đồng nghiệp", "mobile": "+84912000002",
            "assigned_to_id": demo_users["dung.vu"]}).scalar_one()
    path = write_xlsx(tmp_path / "o.xlsx", [HEAD, ["", "Mới 1", "0912000001", "", "Công ty A"],
                                            ["", "Mới 2", "0912000002", "", "Công ty B"]])
    result = run_import(engine, path, actor(engine), options(engine, HEAD, dedup_fields=["mobile"],
                                                             on_duplicate="overwrite"))
    assert (result.overwritten, result.skipped, result.created) == (1, 1, 0)
    by_id = {r.id: r for r in leads(engine)}
    assert by_id[mine].company == "Công ty A"
    assert (by_id[theirs].first_name, by_id[theirs].company) == ("Của đồng nghiệp", None)
    assert result.skipped_file is not None
    skipped = list(load_workbook(result.skipped_file).active.iter_rows(values_only=True))
    assert f"#{theirs}" in skipped[1][-1] and "không có quyền sửa bản ghi này" in skipped[1][-1]
    # An admin's import may overwrite it.
    admin = run_import(engine, path, actor(engine, "admin"), options(engine, HEAD, dedup_fields=["mobile"],
                                                                     on_duplicate="overwrite"))
    assert admin.overwritten == 2
