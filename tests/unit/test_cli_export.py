"""`crm export -o FILE.xlsx` writes every raw lead with Vietnamese labels and 0… phones."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from tests.apprunner import ROOT


def test_crm_export_writes_all_raw_leads(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}", "CRM_DATA_DIR": str(tmp_path)}
    crm = str(ROOT / ".venv" / "bin" / "crm")
    for args in (["db", "upgrade"], ["seed-demo", "--raw-leads", "40"], ["export", "-o", str(tmp_path / "all.xlsx")]):
        subprocess.run([crm, *args], env=env, check=True, capture_output=True, timeout=120)
    rows = list(load_workbook(tmp_path / "all.xlsx").active.iter_rows(values_only=True))
    header = rows[0]
    assert {"Tên", "Di động", "Giao cho", "Nguồn input"} <= set(header)
    assert len(rows) == 41
    mobiles = [r[header.index("Di động")] for r in rows[1:] if r[header.index("Di động")]]
    assert mobiles and all(m.startswith("0") and len(m) == 10 for m in mobiles)
