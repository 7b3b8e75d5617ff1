"""The quick-search key has one definition (`text.search_key`), and every writer of raw leads and
leads stores it: the form, the import, the channels' sync rules and the demo data (issue 19)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import read_session, write_session
from crm_app.models import RawLead
from crm_app.services import demo, sync_rules
from crm_app.services.importer import writer
from crm_app.services.raw_leads.query import ListQuery, list_page
from crm_app.services.raw_leads.validation import with_derived_keys
from crm_app.services.text import derived_keys, search_key
from tests.fixtures.importer import actor

ROOT = Path(__file__).resolve().parents[2]
CONTACT = {"last_name": "Nguyễn Văn", "first_name": "Ánh", "mobile": "+84912345678", "phone": "+842438234567",
           "email": "Anh.Nguyen@Hoasen.vn", "company": "Công ty Hoa Sen"}


def test_the_key_holds_name_phones_in_both_spellings_email_and_company() -> None:
    key = search_key(CONTACT)
    for part in ("nguyen van anh", "+84912345678", "0912345678", "02438234567", "anh.nguyen@hoasen.vn",
                 "cong ty hoa sen"):
        assert part in key
    assert derived_keys(CONTACT)["email_key"] == "anh.nguyen@hoasen.vn"


def test_every_writer_derives_the_same_keys(engine: Engine, demo_users: dict[str, int]) -> None:
    expected = derived_keys(CONTACT)
    assert {k: with_derived_keys(dict(CONTACT))[k] for k in expected} == expected  # form
    imported: dict[str, Any] = dict(CONTACT)
    writer.derive(imported)  # import
    assert {k: imported[k] for k in expected} == expected
    record = RawLead(**CONTACT, assigned_to_id=demo_users["thuhuong"])
    sync_rules._refresh_keys(record)  # channels
    assert (record.email_key, record.search_text) == (expected["email_key"], expected["search_text"])
    row = {**demo.demo_raw_lead_rows(1, [demo_users["thuhuong"]])[0], **CONTACT}
    row.update(derived_keys(row))  # what the demo does after building a row
    assert row["search_text"] == expected["search_text"]


def test_a_demo_record_is_found_by_its_phone(engine: Engine, demo_users: dict[str, int]) -> None:
    rows = demo.demo_raw_lead_rows(20, [demo_users["thuhuong"]])
    assert all(r["search_text"] == search_key(r) for r in rows)
    with write_session(engine) as s:
        demo.seed_demo(session=s, raw_leads=20)
    with read_session(engine) as s:
        record = s.exec(select(RawLead).where(RawLead.mobile.is_not(None))).first()  # type: ignore[union-attr]
        assert record is not None and record.mobile is not None
        admin = actor(engine, "admin")
        page = list_page(s, admin, ListQuery(search="0" + record.mobile[3:]), ["first_name"])
        assert str(record.id) in [r["id"] for r in page.rows]


def test_no_other_module_builds_the_key() -> None:
    """Only text.py calls search_text(...); everyone else goes through search_key/derived_keys."""
    callers = []
    for path in (ROOT / "crm_app").rglob("*.py"):
        if path.name == "text.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "search_text":
                callers.append(str(path.relative_to(ROOT)))
    assert callers == []
