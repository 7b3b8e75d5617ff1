"""schemathesis against the running app's own OpenAPI description: every operation, every check,
a bounded number of examples, authenticated with a read-write API token. Zero failures expected;
the summary line is printed (and kept in test-artifacts/)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlmodel import select

from crm_app.db import get_engine, write_session
from crm_app.models import User
from crm_app.services import api_tokens
from crm_app.services.auth import Actor
from tests.apprunner import ROOT, VENV_BIN, RunningApp

MAX_EXAMPLES = 25
SEED = 20261202


def test_schemathesis_finds_no_failure(running_app: RunningApp, tmp_path: Path) -> None:
    with write_session(get_engine(running_app.database_url)) as s:
        admin = Actor.of(s.exec(select(User).where(User.username == "admin")).one())
        _, token = api_tokens.create_token(s, admin, name="schemathesis", owner_id=admin.id, can_write=True)
    run = subprocess.run(
        [str(VENV_BIN / "st"), "run", f"{running_app.base_url}/api/openapi.json", "--checks", "all",
         "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--request-timeout", "60",
         "-H", f"Authorization: Bearer {token}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=1800,
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "120"})
    output = run.stdout + run.stderr
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "schemathesis.txt").write_text(output)
    summary = [line.strip("= ") for line in output.splitlines() if re.fullmatch(r"=+ .* in [\d.]+s =+", line.strip())]
    cases = [line.strip() for line in output.splitlines() if re.search(r"\d+ generated", line)]
    print("\n[schemathesis]", *cases, *summary)
    assert run.returncode == 0, output[-6000:]
    assert summary and "failure" not in summary[-1] and "error" not in summary[-1], output[-6000:]
    assert cases and re.search(r"(\d+) generated, \1 passed", cases[-1]), cases
