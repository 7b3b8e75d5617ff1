"""Settings come from the environment, typed: a bad value stops start-up and names the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crm_app.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_values_are_read_typed_and_empty_means_default(monkeypatch) -> None:
    monkeypatch.setenv("PORT", " 3100 ")
    monkeypatch.setenv("CRM_IMPORT_BATCH_PAUSE", "0.25")
    monkeypatch.setenv("CRM_METRICS_PUBLIC", "yes")
    monkeypatch.setenv("CRM_UPLOAD_LIMIT_MB", "")
    monkeypatch.setenv("CRM_DATA_DIR", "/tmp/crm-data")
    settings = load_settings()
    assert settings.port == 3100 and settings.import_batch_pause == 0.25 and settings.metrics_public is True
    assert settings.upload_limit_mb == 50
    assert settings.data_dir == Path("/tmp/crm-data")
    assert settings.queue_url == "sqlite:////tmp/crm-data/queue.db"
    assert settings.allowed_origins == ["http://localhost:3100", "http://127.0.0.1:3100"]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("PORT", "abc", "valid integer"),
    ("CRM_UPLOAD_LIMIT_MB", "0", "greater than 0"),
    ("CRM_WEBHOOK_RATE", "fast", "valid number"),
    ("CRM_METRICS_PUBLIC", "maybe", "valid boolean"),
    ("CRM_EMBEDDED_WORKER", "sometimes", "'auto', '0' or '1'"),
])
def test_a_bad_value_names_the_variable_and_what_was_expected(monkeypatch, name, value, expected) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{name}={value!r}" in message and expected in message


def test_every_bad_value_is_reported_at_once(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "x")
    monkeypatch.setenv("CRM_SESSION_DAYS", "-1")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "PORT='x'" in str(caught.value) and "CRM_SESSION_DAYS='-1'" in str(caught.value)


def test_tests_and_tools_can_build_settings_by_field_name() -> None:
    settings = Settings(google_maps_key="k", photon_url="")
    assert settings.google_maps_key == "k" and settings.photon_url == ""


def test_the_cli_stops_at_start_up_with_the_variable_name() -> None:
    env = {"PATH": "/usr/bin:/bin", "CRM_WORKER_THREADS": "many", "HOME": "/tmp"}
    done = subprocess.run([sys.executable, "-m", "crm_app.cli", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "CRM_WORKER_THREADS='many'" in done.stderr and "valid integer" in done.stderr
    assert "Traceback" not in done.stderr
