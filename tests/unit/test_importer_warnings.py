"""Warnings: a row imported with a value dropped (a birthday with only the year), a picklist value
turned into «Không xác định», or a phone repaired is counted and listed in a downloadable file,
with the reason per row, like the skipped and failed rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from crm_app.api import build_api
from crm_app.db import read_session, write_session
from crm_app.fields import UNKNOWN
from crm_app.models import ImportJob
from crm_app.services import importer
from crm_app.services.demo import ensure_demo_users
from crm_app.state_cookie import SESSION_COOKIE
from tests.fixtures.importer import actor, data_dir, leads, options, run_import, write_xlsx
from tests.statekit import token_for, using_engine

__all__ = ["data_dir"]

HEADERS = ["Họ", "Tên", "Di động", "Ngày sinh", "Nguồn", "Ghi chú"]


@pytest.fixture
def engine(sqlite_engine: Engine, data_dir: Path) -> Iterator[Engine]:
    with write_session(sqlite_engine) as session:
        ensure_demo_users(session=session)
    yield sqlite_engine


def _file(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "canh-bao.xlsx", [
        HEADERS,
        ["Nguyễn", "Sạch", "0912000001", "02/03/1990", "Website", "không cảnh báo"],
        ["Trần", "Năm sinh", "0912000002", "1990", "Website", "@HYPERLINK(\"http://x\")"],
        ["Lê", "Nguồn lạ", "0912000003", "", "Tiktok ads", ""],
        ["Phạm", "Mất số 0", 912000004, "", "Zalo", ""],  # a number cell: Excel dropped the 0
        ["Võ", "Hai lỗi", "0912000005", "1985", "Báo giấy", ""],
        ["Đặng", "Trùng", "0912000001", "1990", "Website", "bỏ qua: không tính cảnh báo"],
    ])


def test_warnings_are_counted_and_downloadable_with_the_reason_per_row(engine: Engine, tmp_path: Path) -> None:
    path = _file(tmp_path)
    opts = options(engine, HEADERS, dedup_fields=["mobile"], on_duplicate="skip")
    dry = importer.dry_run(engine, path=path, options=opts, actor=actor(engine))
    assert (dry.created, dry.skipped, dry.failed, dry.warned) == (5, 1, 0, 4)

    result = run_import(engine, path, actor(engine), opts)
    assert (result.created, result.skipped, result.failed, result.warned) == (5, 1, 0, 4)
    by_name = {r.first_name: r for r in leads(engine)}
    assert by_name["Năm sinh"].birthday is None and by_name["Sạch"].birthday is not None
    assert by_name["Nguồn lạ"].lead_source == UNKNOWN
    assert by_name["Mất số 0"].mobile == "+84912000004"
    assert result.warning_file and Path(result.warning_file).is_file()
    with read_session(engine) as session:
        job = session.get(ImportJob, result.job_id)
        assert job is not None and job.warned == 4 and job.warning_file == result.warning_file

    rows = list(load_workbook(result.warning_file).active.iter_rows(values_only=True))
    assert rows[0] == (*HEADERS, "Dòng trong file gốc", "Lý do")
    reasons = {r[1]: (r[-2], r[-1]) for r in rows[1:]}
    assert set(reasons) == {"Năm sinh", "Nguồn lạ", "Mất số 0", "Hai lỗi"}  # not the skipped duplicate
    assert reasons["Năm sinh"][0] == "3" and "chỉ có ngày hoặc chỉ có năm (1990)" in reasons["Năm sinh"][1]
    assert "Tiktok ads" in reasons["Nguồn lạ"][1] and UNKNOWN in reasons["Nguồn lạ"][1]
    assert "912000004 → 0912000004" in reasons["Mất số 0"][1]
    assert "1985" in reasons["Hai lỗi"][1] and "Báo giấy" in reasons["Hai lỗi"][1]  # both, one line
    # A cell a spreadsheet would run comes back as text, not a formula.
    formula_row = next(r for r in rows[1:] if r[1] == "Năm sinh")
    assert formula_row[5] == ' @HYPERLINK("http://x")'


def test_warning_file_served_to_its_owner_and_admins_only(engine: Engine, tmp_path: Path) -> None:
    result = run_import(engine, _file(tmp_path), actor(engine), options(engine, HEADERS))
    with using_engine(engine):
        client = TestClient(build_api())

        def get(username: str | None) -> tuple[int, str]:
            cookies = {SESSION_COOKIE: token_for(engine, username)} if username else {}
            client.cookies.clear()
            response = client.get(f"/api/import/jobs/{result.job_id}/warning", cookies=cookies)
            return response.status_code, response.headers.get("content-disposition", "")

        assert [get(u)[0] for u in (None, "dung.vu", "thuhuong", "admin")] == [401, 404, 200, 200]
        assert "canh-bao" in get("thuhuong")[1]


def test_a_cell_with_two_numbers_keeps_both_and_says_where_they_went(engine: Engine, tmp_path: Path) -> None:
    headers = ["Họ và tên", "SĐT", "Điện thoại"]
    path = write_xlsx(tmp_path / "hai-so.xlsx", [
        headers,
        ["Võ Thị Giang", "0912345682 - 0987654321", ""],
        ["Đỗ Văn Hà", "0912 345 683 (Zalo) hoặc 0987 111 222 / 0977 000 111", "028 3822 1234"],
        ["Ngô Minh", "0912345686 - gọi sau 5h", ""],
    ])
    result = run_import(engine, path, actor(engine), options(engine, headers))
    assert (result.created, result.failed, result.warned) == (2, 1, 2)
    by_name = {r.first_name: r for r in leads(engine)}
    assert (by_name["Giang"].mobile, by_name["Giang"].phone) == ("+84912345682", "+84987654321")
    # Điện thoại already holds a number: the file's own value stays, the extra numbers are named.
    assert (by_name["Hà"].mobile, by_name["Hà"].phone) == ("+84912345683", "+842838221234")
    assert result.reasons == ["Dòng 4: «Di động» không phải số điện thoại hợp lệ: 0912345686 - gọi sau 5h"]
    rows = list(load_workbook(result.warning_file).active.iter_rows(values_only=True))
    reasons = {r[0]: r[-1] for r in rows[1:]}
    assert reasons["Võ Thị Giang"] == ("«Di động» có nhiều số (0912345682 - 0987654321): giữ 0912345682, "
                                       "số 0987654321 được đưa vào «Điện thoại»")
    assert reasons["Đỗ Văn Hà"] == ("«Di động» có nhiều số (0912 345 683 (Zalo) hoặc 0987 111 222 / 0977 000 111): "
                                    "giữ 0912345683, số 0987111222, 0977000111 không được import")
