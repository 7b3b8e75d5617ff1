"""Record ids from the URL and links to records come from crm_app/routes.py only (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_app import routes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("path", "section", "edit", "expected"), [
    ("/raw-leads/12", routes.RAW_LEADS, False, 12),
    ("/raw-leads/12/", routes.RAW_LEADS, False, 12),
    ("/raw-leads/12?tab=timeline", routes.RAW_LEADS, False, 12),
    ("/raw-leads/12/edit", routes.RAW_LEADS, True, 12),
    ("/raw-leads/12/edit", routes.RAW_LEADS, False, 0),  # the edit page is not the detail page
    ("/raw-leads/12", routes.RAW_LEADS, True, 0),
    ("/raw-leads/new", routes.RAW_LEADS, True, 0),
    ("/raw-leads/import", routes.RAW_LEADS, False, 0),
    ("/leads/7/edit", routes.LEADS, True, 7),
    ("/leads/7", routes.RAW_LEADS, False, 0),  # another module's page
    ("/tickets/3", routes.TICKETS, False, 3),
    ("/tickets/99999999999999999999", routes.TICKETS, False, 0),  # would overflow the column
    ("/tickets/-3", routes.TICKETS, False, 0),
    ("/tickets/３", routes.TICKETS, False, 0),  # a full-width digit is not an id
    ("", routes.TICKETS, False, 0),
])
def test_record_id_from_path(path: str, section: str, edit: bool, expected: int) -> None:
    assert routes.record_id_from_path(path, section, edit=edit) == expected


def test_builders_round_trip_through_the_parser() -> None:
    assert routes.record_id_from_path(routes.raw_lead(5), routes.RAW_LEADS) == 5
    assert routes.record_id_from_path(routes.raw_lead_edit(5), routes.RAW_LEADS, edit=True) == 5
    assert routes.record_id_from_path(routes.lead(6), routes.LEADS) == 6
    assert routes.record_id_from_path(routes.lead_edit(6), routes.LEADS, edit=True) == 6
    assert routes.record_id_from_path(routes.ticket(7), routes.TICKETS) == 7
    assert routes.record("leads", 3) == "/leads/3" and routes.record("raw_leads", 3) == "/raw-leads/3"
    assert routes.import_file(4, "failed") == "/api/import/jobs/4/failed"
    assert routes.raw_lead_list(open="1", assigned_to=3) == "/raw-leads?open=1&assigned_to=3"
    assert routes.form_webhook("tet") == "/api/webhooks/forms/tet"


def test_no_url_is_built_or_parsed_by_hand() -> None:
    """Outside routes.py: no `routes.X + "/"`, no f"/raw-leads/…" or f"{routes.X}/…", and no
    splitting of the router's path."""
    by_hand = re.compile(r'routes\.[A-Z_]+ \+|f"/(raw-leads|leads|tickets|api/import|api/webhooks)/'
                         r'|f"\{routes\.[A-Z_]+\}[/?]|url\.path\.split')
    found = [f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "crm_app").rglob("*.py") if path.name != "routes.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if by_hand.search(line)]
    assert found == []
