"""Duplicates (skip / overwrite / merge / no check), dry run, undo and the CLI, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app import cli
from crm_app.db import read_session
from crm_app.models import ImportRowIssue, RawLead, utcnow
from crm_app.services import importer
from crm_app.settings import get_settings
from tests.fixtures.importer import actor, data_dir, leads, quick_import, write_xlsx

__all__ = ["data_dir"]

HEAD = ["Họ", "Tên", "Di động", "Email", "Công ty"]


def existing(engine: Engine, owner: int, **values: object) -> int:
    row = {"first_name": "Cũ", "assigned_to_id": owner, "custom": {}, "search_text": "", "status": "Mới",
           "created_at": utcnow(), "modified_at": utcnow(), **values}
    with engine.begin() as conn:
        return conn.execute(insert(RawLead).returning(RawLead.id), row).scalar_one()


def test_within_file_duplicate_in_two_phone_formats(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                    tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [
        HEAD,
        ["Nguyễn", "An", "0912 345 678", "", ""],
        ["Nguyễn", "An", "+84912345678", "", ""],
        ["Trần", "Bình", "0987654321", "", ""],
    ])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="skip")
    assert (result.total, result.created, result.skipped) == (3, 2, 1)
    assert [r.mobile for r in leads(engine)] == ["+84912345678", "+84987654321"]
    assert result.skipped_file is not None
    ws = load_workbook(result.skipped_file).active
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert rows[0] == [*HEAD, "Dòng trong file gốc", "Lý do"]
    assert rows[1][:3] == ["Nguyễn", "An", " +84912345678"]  # a leading + is neutralised with a space
    assert rows[1][5] == "3" and "dòng 2" in rows[1][6]


def test_skip_against_crm(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    old = existing(engine, demo_users["dung.vu"], mobile="+84912345678")
    path = write_xlsx(tmp_path / "s.xlsx", [HEAD, ["Nguyễn", "An", "84912345678", "", ""],
                                            ["Lê", "Cường", "0987654321", "", ""]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="skip")
    assert (result.created, result.skipped, result.overwritten, result.merged) == (1, 1, 0, 0)
    with read_session(engine) as session:
        (issue,) = session.exec(select(ImportRowIssue).where(ImportRowIssue.kind == "skipped"))
    assert f"#{old}" in issue.reason and "Di động" in issue.reason


def test_overwrite_replaces_but_blanks_do_not_erase(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                    tmp_path: Path) -> None:
    old = existing(engine, demo_users["dung.vu"], first_name="Cũ", mobile="+84912345678", email="cu@x.vn",
                   email_key="cu@x.vn", company="Công ty Cũ")
    path = write_xlsx(tmp_path / "o.xlsx", [HEAD, ["Nguyễn", "Mới", "0912345678", "", "Công ty Mới"]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="overwrite")
    assert (result.created, result.overwritten) == (0, 1)
    (lead,) = leads(engine)
    assert (lead.id, lead.first_name, lead.last_name, lead.email, lead.company, lead.assigned_to_id) == (
        old, "Mới", "Nguyễn", "cu@x.vn", "Công ty Mới", demo_users["dung.vu"])
    assert "moi" in lead.search_text


def test_merge_fills_only_empty_fields(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                       tmp_path: Path) -> None:
    existing(engine, demo_users["dung.vu"], first_name="Cũ", mobile="+84912345678", company="Công ty Cũ")
    path = write_xlsx(tmp_path / "m.xlsx", [HEAD, ["Nguyễn", "Mới", "0912345678", "moi@x.vn", "Công ty Mới"]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="merge")
    assert (result.created, result.merged) == (0, 1)
    (lead,) = leads(engine)
    assert (lead.first_name, lead.last_name, lead.email, lead.email_key, lead.company) == (
        "Cũ", "Nguyễn", "moi@x.vn", "moi@x.vn", "Công ty Cũ")


def test_several_matches_update_the_most_recently_modified(engine: Engine, demo_users: dict[str, int],
                                                           data_dir: Path, tmp_path: Path) -> None:
    owner = demo_users["dung.vu"]
    older = existing(engine, owner, mobile="+84912345678", modified_at=utcnow() - timedelta(days=3))
    newer = existing(engine, owner, mobile="+84912345678", modified_at=utcnow() - timedelta(days=1))
    path = write_xlsx(tmp_path / "n.xlsx", [HEAD, ["Nguyễn", "An", "0912345678", "an@x.vn", ""]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="overwrite")
    assert (result.created, result.overwritten) == (0, 1)
    by_id = {r.id: r for r in leads(engine)}
    assert by_id[newer].email == "an@x.vn" and by_id[older].email is None
    with read_session(engine) as session:
        (warning,) = session.exec(select(ImportRowIssue).where(ImportRowIssue.kind == "warning"))
    assert f"#{newer}" in warning.reason and f"#{older}" in warning.reason


def test_criteria_are_combined_with_and_and_email_ignores_case(engine: Engine, demo_users: dict[str, int],
                                                               data_dir: Path, tmp_path: Path) -> None:
    existing(engine, demo_users["dung.vu"], first_name="An", mobile="+84912345678", email="An@X.vn",
             email_key="an@x.vn")
    path = write_xlsx(tmp_path / "c.xlsx", [
        HEAD,
        ["", "AN", "0912345678", "an@x.VN", ""],   # same name (any case), phone and email → duplicate
        ["", "Bình", "0912345678", "an@x.vn", ""],  # another name → not a duplicate
        ["", "An", "0912345678", "", ""],           # no email: cannot match on all criteria
    ])
    result = quick_import(engine, path, dedup_fields=["first_name", "mobile", "email"], on_duplicate="skip")
    assert (result.created, result.skipped) == (2, 1)


def test_no_check_imports_duplicates(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                     tmp_path: Path) -> None:
    existing(engine, demo_users["dung.vu"], mobile="+84912345678")
    path = write_xlsx(tmp_path / "x.xlsx", [HEAD, ["", "An", "0912345678", "", ""], ["", "An", "0912345678", "", ""]])
    result = quick_import(engine, path)
    assert (result.created, result.skipped) == (2, 0)
    assert len(leads(engine)) == 3


def test_dry_run_counts_what_the_run_does_and_writes_nothing(engine: Engine, demo_users: dict[str, int],
                                                             data_dir: Path, tmp_path: Path) -> None:
    existing(engine, demo_users["dung.vu"], mobile="+84912345678")
    path = write_xlsx(tmp_path / "d.xlsx", [
        HEAD,
        ["", "An", "0912345678", "", ""],      # duplicate of the CRM → merge
        ["", "Bình", "0987654321", "", ""],     # new
        ["", "Bình", "+84987654321", "", ""],   # duplicate of the row above → merge
        ["", "", "0911111111", "", ""],         # no Tên → fail
    ])
    who = actor(engine)
    with read_session(engine) as session:
        mapping = importer.auto_mapping(session, HEAD)
    opts = importer.ImportOptions(mapping=mapping, dedup_fields=["mobile"], on_duplicate="merge")
    preview = importer.dry_run(engine, path=path, options=opts, actor=who)
    assert (preview.total, preview.created, preview.merged, preview.failed) == (4, 1, 2, 1)
    assert preview.reasons == ["Dòng 5: Thiếu thông tin bắt buộc «Tên»"]
    assert len(leads(engine)) == 1
    real = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="merge")
    assert (real.created, real.merged, real.failed) == (1, 2, 1)


def test_undo_deletes_created_and_restores_changed(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                   tmp_path: Path) -> None:
    old = existing(engine, demo_users["dung.vu"], first_name="Cũ", mobile="+84912345678", company="Công ty Cũ")
    path = write_xlsx(tmp_path / "u.xlsx", [HEAD, ["", "Mới", "0912345678", "m@x.vn", "Công ty Mới"],
                                            ["", "Bình", "0987654321", "", ""]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="overwrite")
    assert (result.created, result.overwritten) == (1, 1)
    assert result.job_id is not None
    with pytest.raises(importer.PermissionDenied):
        importer.undo_job(engine, actor(engine, "phu.vo"), result.job_id)
    importer.undo_job(engine, actor(engine, "thuhuong"), result.job_id)
    (lead,) = leads(engine)
    assert (lead.id, lead.first_name, lead.company, lead.email) == (old, "Cũ", "Công ty Cũ", None)


def test_cli_import_json_and_template(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    existing(engine, demo_users["dung.vu"], mobile="+84912345678")
    path = write_xlsx(tmp_path / "cli.xlsx", [HEAD, ["", "An", "0912345678", "", ""],
                                              ["", "Bình", "0987654321", "", ""], ["", "", "0911111111", "", ""]])
    assert cli.main(["import", str(path), "--user", "thuhuong", "--dedup", "Di động", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"total", "created", "overwritten", "skipped", "merged", "failed", "warned", "skipped_file",
                        "failed_file", "warning_file"}
    assert (out["total"], out["created"], out["skipped"], out["failed"]) == (3, 1, 1, 1)
    assert Path(out["skipped_file"]).is_file() and Path(out["failed_file"]).is_file()
    assert cli.main(["import", str(path), "--user", "thuhuong", "--dedup", "mobile", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2  # the row created above is now in the CRM
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"%PDF-1.7")
    assert cli.main(["import", str(bad), "--user", "thuhuong", "--json"]) == 2
    assert "không phải bảng tính" in capsys.readouterr().err
    assert cli.main(["template", "-o", str(tmp_path / "tpl.xlsx")]) == 0
    assert load_workbook(tmp_path / "tpl.xlsx").worksheets[0]["B1"].value == "Họ"
    get_settings.cache_clear()


def test_within_file_duplicate_in_a_later_batch_updates_the_created_record(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", [
        HEAD,
        ["Nguyễn", "An", "0912345678", "", ""],
        ["Trần", "Bình", "0987654321", "", ""],
        ["Lê", "Cường", "0977777777", "", ""],
        ["", "An", "+84 912 345 678", "an@x.vn", "Công ty An"],  # batch 2: merges into row 2's record
    ])
    who = actor(engine)
    with read_session(engine) as session:
        mapping = importer.auto_mapping(session, HEAD)
    opts = importer.ImportOptions(mapping=mapping, dedup_fields=["mobile"], on_duplicate="merge")
    from tests.fixtures.importer import run_import

    result = run_import(engine, path, who, opts, batch_size=2)
    assert (result.created, result.merged) == (3, 1)
    first = leads(engine)[0]
    assert (first.last_name, first.email, first.company) == ("Nguyễn", "an@x.vn", "Công ty An")


def test_quick_search_follows_created_overwritten_and_undone_records(
        engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    from sqlmodel import Session

    from crm_app.services.raw_leads.query import ListQuery, list_page

    def found(text: str) -> list[str]:
        with Session(engine) as session:
            page = list_page(session, actor(engine, "admin"), ListQuery(search=text),
                             ["first_name"])
        return sorted(r["first_name"] for r in page.rows)

    existing(engine, demo_users["dung.vu"], first_name="Cũ", mobile="+84912345678", company="Công ty Cũ",
             search_text="cu | +84912345678 | 0912345678 | cong ty cu")
    path = write_xlsx(tmp_path / "s.xlsx", [HEAD, ["", "Mới", "0912345678", "", "Công ty Mới"],
                                            ["Trần", "Bình", "0987654321", "", "Hải Đăng"]])
    result = quick_import(engine, path, dedup_fields=["mobile"], on_duplicate="overwrite")
    assert (result.created, result.overwritten) == (1, 1)
    assert found("hai dang") == ["Bình"]
    assert found("0987 654") == ["Bình"]
    assert found("cong ty moi") == ["Mới"]
    assert found("cong ty cu") == []
    assert result.job_id is not None
    importer.undo_job(engine, actor(engine, "admin"), result.job_id)
    assert found("hai dang") == []
    assert found("cong ty cu") == ["Cũ"]


def test_the_list_shows_the_records_one_import_created(engine: Engine, demo_users: dict[str, int],
                                                       data_dir: Path, tmp_path: Path) -> None:
    from sqlmodel import Session

    from crm_app.services.raw_leads.query import ListQuery, list_page

    existing(engine, demo_users["thuhuong"], first_name="Trước")
    first = quick_import(engine, write_xlsx(tmp_path / "a.xlsx", [HEAD, ["", "An", "", "", ""]]))
    second = quick_import(engine, write_xlsx(tmp_path / "b.xlsx", [HEAD, ["", "Bình", "", "", ""],
                                                                     ["", "Chi", "", "", ""]]))
    with Session(engine) as session:
        def names(job_id: int | None) -> list[str]:
            page = list_page(session, actor(engine, "admin"),
                             ListQuery(import_job_id=job_id), ["first_name"])
            return sorted(r["first_name"] for r in page.rows)

        assert names(first.job_id) == ["An"]
        assert names(second.job_id) == ["Bình", "Chi"]
        assert names(None) == ["An", "Bình", "Chi", "Trước"]
