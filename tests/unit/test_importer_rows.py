"""Row rules of the import (DESIGN §4), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.fields import UNKNOWN
from crm_app.i18n import UserError
from crm_app.models import CustomField, ImportRowIssue, PicklistValue
from crm_app.services import importer
from tests.fixtures.importer import actor, data_dir, leads, options, quick_import, run_import, write_xlsx

__all__ = ["data_dir"]


def issues(engine: Engine, kind: str) -> list[ImportRowIssue]:
    with read_session(engine) as session:
        return list(session.exec(select(ImportRowIssue).where(ImportRowIssue.kind == kind)
                                 .order_by(ImportRowIssue.row_number)))


def test_required_fields_and_assignee(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                      tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["Họ", "Tên", "Giao cho"],
        ["Nguyễn", "An", ""],            # empty Giao cho → the importing user
        ["Trần", "Bình", "Dung.Vu"],     # a username, any case
        ["Lê", "", "phu.vo"],            # Tên empty → failed
        ["Phạm", "Dũng", "khong.co.ai"],  # unknown username → failed
    ])
    result = quick_import(engine, path, "thuhuong")
    assert (result.total, result.created, result.failed) == (4, 2, 2)
    assert [(r.first_name, r.assigned_to_id) for r in leads(engine)] == [
        ("An", demo_users["thuhuong"]), ("Bình", demo_users["dung.vu"])]
    failed = issues(engine, "failed")
    assert [i.row_number for i in failed] == [4, 5]
    assert failed[0].reason == "Thiếu thông tin bắt buộc «Tên»"
    assert "khong.co.ai" in failed[1].reason and "Giao cho" in failed[1].reason


def test_dates(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", [
        ["Tên", "Ngày sinh"],
        ["A", "10-02-1991"],
        ["B", "10/02/1991"],
        ["C", dt.datetime(1991, 2, 10)],  # a real Excel date cell
        ["D", "1991"],                    # only a year
        ["E", "15"],                      # only a day
        ["F", "31/02/1991"],              # no such day
    ])
    result = quick_import(engine, path)
    assert (result.created, result.failed) == (6, 0)
    assert [(r.first_name, r.birthday) for r in leads(engine)] == [
        ("A", dt.date(1991, 2, 10)), ("B", dt.date(1991, 2, 10)), ("C", dt.date(1991, 2, 10)),
        ("D", None), ("E", None), ("F", None)]
    warnings = issues(engine, "warning")
    assert [w.row_number for w in warnings] == [5, 6, 7]
    assert "chỉ có ngày hoặc chỉ có năm" in warnings[0].reason


@pytest.mark.parametrize("reject", [False, True])
def test_picklists(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path, reject: bool) -> None:
    with write_session(engine) as session:  # an admin added a value: it is accepted at once
        session.add(PicklistValue(field_key="lead_source", value="TikTok", position=99))
    path = write_xlsx(tmp_path / "p.xlsx", [
        ["Tên", "Danh xưng", "Nguồn", "Loại khách hàng"],
        ["A", "anh", "tiktok", "Doanh Nghiep"],
        ["B", "Sếp", "Website", ""],
    ])
    result = quick_import(engine, path, unknown_picklist="reject" if reject else "unknown")
    rows = [(r.first_name, r.salutation, r.lead_source, r.customer_type) for r in leads(engine)]
    if reject:
        assert (result.created, result.failed) == (1, 1)
        assert rows == [("A", "Anh", "TikTok", "Doanh nghiệp")]
        assert "Sếp" in issues(engine, "failed")[0].reason
    else:
        assert (result.created, result.failed) == (2, 0)
        assert rows == [("A", "Anh", "TikTok", "Doanh nghiệp"), ("B", UNKNOWN, "Website", None)]


def test_phones_emails_and_derived_columns(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                           tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ph.xlsx", [
        ["Họ", "Tên", "Di động", "Điện thoại", "Email"],
        ["Nguyễn Văn", "An", 912345678, "024 3823 4567", "An.Nguyen@Example.com"],  # Excel dropped the 0
        ["Lê", "Bình", "01691234567", "", ""],  # pre-2018 11-digit mobile
        ["Lê", "Cường", "12345", "", ""],
        ["Lê", "Dũng", "", "", "not-an-email"],
    ])
    result = quick_import(engine, path)
    assert (result.created, result.failed) == (2, 2)
    first, second = leads(engine)
    assert (first.mobile, first.phone, first.email, first.email_key) == (
        "+84912345678", "+842438234567", "An.Nguyen@Example.com", "an.nguyen@example.com")
    assert second.mobile == "+84391234567"
    assert "nguyen van an" in first.search_text and "0912345678" in first.search_text
    assert (first.input_source, first.status, first.import_job_id) == ("Import", "Mới", result.job_id)
    reasons = [i.reason for i in issues(engine, "failed")]
    assert "số điện thoại" in reasons[0] and "email" in reasons[1]


def test_too_long_value_fails_the_row_not_the_import(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                                     tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "long.xlsx", [["Tên", "Chức vụ"], ["A", "x" * 500], ["B", "Giám đốc"]])
    result = quick_import(engine, path)
    assert (result.created, result.failed) == (1, 1)
    assert "128" in issues(engine, "failed")[0].reason


def test_custom_field_is_imported(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    with write_session(engine) as session:
        session.add(CustomField(key="nganh", label_vi="Ngành nghề", label_en="Industry", field_type="text"))
    path = write_xlsx(tmp_path / "c.xlsx", [["Tên", "Ngành nghề"], ["A", "Bán lẻ"]])
    assert quick_import(engine, path).created == 1
    assert leads(engine)[0].custom == {"nganh": "Bán lẻ"}


def test_explicit_mapping_for_other_headers(engine: Engine, demo_users: dict[str, int], data_dir: Path,
                                            tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", [["Khách", "SĐT", "Ghi chú"], ["An", "0912345678", "bỏ qua cột này"]])
    who = actor(engine)
    opts = importer.ImportOptions(mapping={"Khách": "first_name", "SĐT": "mobile"})
    assert run_import(engine, path, who, opts).created == 1
    (lead,) = leads(engine)
    assert (lead.first_name, lead.mobile, lead.description) == ("An", "+84912345678", None)


def test_options_are_checked(engine: Engine, demo_users: dict[str, int], data_dir: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "o.xlsx", [["Họ", "Di động"], ["Nguyễn", "0912345678"]])
    who = actor(engine)
    with pytest.raises(UserError, match="Tên"):
        importer.dry_run(engine, path=path, options=options(engine, ["Họ", "Di động"]), actor=who)
    opts = importer.ImportOptions(mapping={"Họ": "first_name"}, dedup_fields=["email"])
    with pytest.raises(UserError, match="Email"):
        importer.dry_run(engine, path=path, options=opts, actor=who)
    assert leads(engine) == []


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_written(engine: Engine, demo_users: dict[str, int],
                                                                        data_dir: Path, tmp_path: Path) -> None:
    # PostgreSQL receives rows through COPY's text format, where these characters are syntax.
    description = "Gọi lại\tsau 17h\nghi chú: C:\\khach\\N\nhết"
    path = write_xlsx(tmp_path / "esc.xlsx", [
        ["Họ", "Tên", "Mô tả", "Công ty"],
        ["Nguyễn\\Văn", "An", description, "\\N"],
        ["Trần", "Bình", "", ""],
    ])
    assert quick_import(engine, path).created == 2
    first, second = leads(engine)
    assert (first.last_name, first.description, first.company) == ("Nguyễn\\Văn", description, "\\N")
    assert (second.last_name, second.description, second.company) == ("Trần", None, None)
