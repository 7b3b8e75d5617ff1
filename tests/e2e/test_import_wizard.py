"""The import wizard in Chromium: skip, then overwrite, then merge with the same file; the
failed-rows file; the lock between two users."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.apprunner import ROOT, VENV_BIN, RunningApp
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def query(app: RunningApp, sql: str, **params: object) -> list[tuple]:
    engine = create_engine(app.database_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql), params)]
    engine.dispose()
    return rows


def make_file(tmp_path: Path, existing_mobile: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Họ", "Tên", "Di động", "Email", "Nguồn", "Giao cho", "Ghi chú riêng"])
    ws.append(["Nguyễn", "Wizard An", "0901234567", "", "Website", "thuhuong", "x"])
    ws.append(["Trần", "Wizard Bình", "0901 234 568", "binh@wizard.vn", "Facebook", "", "y"])
    ws.append(["Lê", "", "0901234569", "", "Website", "", "tên trống"])
    ws.append(["Phạm", "Wizard Duy", "84901234567", "duy@wizard.vn", "Website", "", "trùng trong file"])
    ws.append(["Võ", "Wizard Trùng", existing_mobile, "trung@wizard.vn", "Zalo", "", "trùng CRM"])
    path = tmp_path / "khach-hang.xlsx"
    wb.save(path)
    return path


def run_wizard(page: Page, path: Path, action: str) -> dict[str, str]:
    page.get_by_role("link", name="Nhập dữ liệu").click()
    expect(page.locator("#stepper")).to_be_visible()
    page.locator("#import-file input[type=file]").set_input_files(str(path))
    expect(page.locator("#dedup-criteria")).to_contain_text("Di động")
    page.get_by_text({"skip": "Bỏ qua", "overwrite": "Ghi đè", "merge": "Gộp trùng"}[action], exact=True).click()
    page.locator("#dedup-next").click()
    expect(page.get_by_text("Thiết lập mapping").first).to_be_visible()
    expect(page.get_by_text("tự động").first).to_be_visible()
    page.locator("#mapping-next").click()
    expect(page.locator("#dry-failed")).to_have_text("1", timeout=20_000)
    page.locator("#start-import").click()
    expect(page.locator("#finish")).to_be_visible(timeout=60_000)
    return {k: page.locator(f"#res-{k}").inner_text()
            for k in ("created", "overwritten", "merged", "skipped", "failed")}


def test_skip_then_overwrite_then_merge(app_page: AppPage, running_app: RunningApp, tmp_path: Path) -> None:
    (mobile,) = query(running_app, "select mobile from raw_leads where mobile is not null and email is null "
                                   "order by id limit 1")[0]
    path = make_file(tmp_path, "0" + mobile[3:])
    before = query(running_app, "select count(*) from raw_leads")[0][0]
    page = app_page.login("thuhuong")

    shown = run_wizard(page, path, "skip")
    assert shown == {"created": "2", "overwritten": "0", "merged": "0", "skipped": "2", "failed": "1"}
    app_page.screenshot("wizard-result-skip")
    assert query(running_app, "select count(*) from raw_leads")[0][0] == before + 2
    job_id = query(running_app, "select max(id) from import_jobs")[0][0]
    failed = httpx.get(f"{running_app.base_url}/api/import/jobs/{job_id}/failed",
                       cookies={c["name"]: c["value"] for c in app_page.context.cookies()}, timeout=20)
    assert failed.status_code == 200
    (tmp_path / "failed.xlsx").write_bytes(failed.content)
    rows = list(load_workbook(tmp_path / "failed.xlsx").active.iter_rows(values_only=True))
    assert "Tên" in str(rows[1][-1]) and len(rows) == 2
    anonymous = httpx.get(f"{running_app.base_url}/api/import/jobs/{job_id}/failed", timeout=20)
    assert anonymous.status_code == 401
    page.locator("#finish").click()
    expect(page).to_have_url(re.compile(r"/raw-leads/?$"))

    shown = run_wizard(page, path, "overwrite")
    assert shown["created"] == "0" and shown["failed"] == "1" and int(shown["overwritten"]) >= 3
    email = query(running_app, "select email from raw_leads where mobile = :m", m=mobile)[0][0]
    assert email == "trung@wizard.vn"
    page.locator("#finish").click()

    query_before = query(running_app, "select count(*) from raw_leads")[0][0]
    shown = run_wizard(page, path, "merge")
    assert shown["created"] == "0" and shown["failed"] == "1" and int(shown["merged"]) >= 3
    assert query(running_app, "select count(*) from raw_leads")[0][0] == query_before
    app_page.screenshot("wizard-result-merge")
    page.locator("#finish").click()


def test_second_user_is_refused_while_the_first_holds_the_lock(app_page_factory, running_app: RunningApp,
                                                               tmp_path: Path) -> None:
    first, second = app_page_factory(), app_page_factory()
    page1 = first.login("hieu.nguyen")
    page2 = second.login("dung.vu")
    path = make_file(tmp_path, "0912999888")
    run_wizard(page1, path, "skip")
    second.goto("/raw-leads/import")
    expect(page2.locator("#lock-message")).to_contain_text("Nguyễn Minh Hiếu (hieu.nguyen)")
    second.screenshot("wizard-locked")
    first.goto("/raw-leads/import")
    expect(page1.locator("#finish")).to_be_visible()  # the holder comes back to the result
    page1.locator("#finish").click()
    second.goto("/raw-leads/import")
    expect(page2.locator("#import-file")).to_be_visible()


def test_twenty_thousand_rows_show_progress_and_finish(app_page: AppPage, running_app: RunningApp,
                                                       tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Họ", "Tên", "Di động", "Email", "Công ty"])
    for i in range(20_000):
        ws.append(["Đỗ", f"Lớn {i}", f"03{i:08d}", f"lon{i}@bulk.vn", "Công ty Số Lượng Lớn"])
    path = tmp_path / "hai-muoi-nghin.xlsx"
    wb.save(path)
    before = query(running_app, "select count(*) from raw_leads")[0][0]
    page = app_page.login("phu.vo")
    page.get_by_role("link", name="Nhập dữ liệu").click()
    page.locator("#import-file input[type=file]").set_input_files(str(path))
    page.locator("#skip-dedup").click()
    page.locator("#mapping-next").click()
    expect(page.locator("#dry-created")).to_have_text("20000", timeout=60_000)
    page.locator("#start-import").click()
    expect(page.locator("#import-progress")).to_be_visible(timeout=20_000)
    expect(page.locator("#progress-count")).to_have_text(re.compile(r"^\d+ / 20000$"))
    app_page.screenshot("wizard-progress")
    page.get_by_role("link", name="Lead", exact=True).click()  # the page stays usable; the job goes on
    expect(page.get_by_role("heading", name="Lead")).to_be_visible()
    page.get_by_role("link", name="KH thô", exact=True).click()
    page.get_by_role("link", name="Nhập dữ liệu").click()
    expect(page.locator("#res-created")).to_have_text("20000", timeout=120_000)
    assert query(running_app, "select count(*) from raw_leads")[0][0] == before + 20_000
    page.locator("#finish").click()


def test_a_dead_workers_import_shows_resuming_then_finishes(app_page_factory, running_app: RunningApp,
                                                            tmp_path: Path) -> None:
    """The consumer running an import died (its heartbeat is 5 minutes old): the wizard says
    "đang tiếp tục" instead of polling a dead job, and once the sweep hands the job to a live
    consumer it resumes from the checkpoint and the wizard shows the result."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Họ", "Tên", "Di động"])
    for i in range(30):
        ws.append(["Hồ", f"Tiếp Tục {i}", f"07{i:08d}"])
    path = tmp_path / "tiep-tuc.xlsx"
    wb.save(path)
    script = f"""
from datetime import timedelta
from pathlib import Path
from sqlmodel import select
from crm_app.db import write_session
from crm_app.models import User, utcnow
from crm_app.services import importer
from crm_app.services.auth import Actor
with write_session() as s:
    who = Actor.of(s.exec(select(User).where(User.username == "dung.vu")).one())
    options = importer.ImportOptions(mapping={{"Họ": "last_name", "Tên": "first_name", "Di động": "mobile"}})
    job = importer.create_job(s, who, Path({str(path)!r}), "tiep-tuc.xlsx", options)
    job.status, job.worker, job.attempts = "running", "gone-host:1:dead", 1
    job.total, job.heartbeat_at = 30, utcnow() - timedelta(minutes=5)
    s.add(job)
"""
    subprocess.run([str(VENV_BIN / "python"), "-c", script], env=running_app.env, cwd=ROOT, check=True, timeout=120)
    pages = {width: app_page_factory(viewport=(width, 860 if width > 400 else 844)) for width in (1366, 390)}
    for width, app_page in pages.items():
        page = app_page.login("dung.vu", landing="/raw-leads/import")
        expect(page.locator("#import-resuming")).to_contain_text("Đang tiếp tục")
        app_page.screenshot(f"wizard-resuming-{width}")
    sweep = "from crm_app.services import tasks; print(tasks.sweep())"
    out = subprocess.run([str(VENV_BIN / "python"), "-c", sweep], env=running_app.env, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert "'imports': 1" in out
    page = pages[1366].page
    expect(page.locator("#res-created")).to_have_text("30", timeout=60_000)
    expect(page.locator("#import-resuming")).to_have_count(0)
    pages[1366].screenshot("wizard-resumed-result")
    page.locator("#finish").click()
