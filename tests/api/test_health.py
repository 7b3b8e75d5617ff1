from __future__ import annotations

import httpx

from tests.apprunner import RunningApp


def test_health_reports_database(running_app: RunningApp) -> None:
    response = httpx.get(f"{running_app.base_url}/api/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_is_served(running_app: RunningApp) -> None:
    response = httpx.get(f"{running_app.base_url}/api/openapi.json", timeout=10)
    assert response.status_code == 200
    assert "/api/health" in response.json()["paths"]


def test_cors_does_not_allow_other_origins(running_app: RunningApp) -> None:
    response = httpx.options(
        f"{running_app.base_url}/api/health",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert response.headers.get("access-control-allow-origin") not in ("*", "https://evil.example")
