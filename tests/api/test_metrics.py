"""GET /metrics on the real app is closed without the API token; `crm status` prints the same figures."""

from __future__ import annotations

import httpx

from tests.apprunner import RunningApp


def test_metrics_route_is_closed_without_a_token(running_app: RunningApp) -> None:
    response = httpx.get(f"{running_app.base_url}/metrics", timeout=30)
    assert response.status_code == 401 and "mã API" in response.json()["detail"]
    assert httpx.get(f"{running_app.base_url}/metrics", headers={"Authorization": "Bearer not-the-token"}, timeout=30
                     ).status_code == 401


def test_crm_status_prints_the_figures(running_app: RunningApp) -> None:
    result = running_app.crm("status")
    lines = result.stdout.splitlines()
    assert result.returncode == 0  # the app's own queue answered
    assert any(line.startswith("crm_queue_up") and line.endswith(" 1") for line in lines)
    assert any(line.startswith("crm_imports_running") for line in lines)
    assert any(line.startswith("crm_channel_processing_lag_seconds") and "quantile=0.99" in line for line in lines)
