"""A source that floods a webhook route is told 429 (with Retry-After) before its body is read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from crm_app.api import build_api
from crm_app.services import ratelimit
from crm_app.settings import get_settings


@pytest.fixture
def strict_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CRM_WEBHOOK_RATE", "0.01")
    monkeypatch.setenv("CRM_WEBHOOK_BURST", "3")
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    ratelimit.reset()
    yield
    get_settings.cache_clear()
    ratelimit.reset()


def test_flooding_source_gets_429_after_its_burst(strict_limit: None) -> None:
    client = TestClient(build_api())
    statuses = [client.post("/api/webhooks/chatbot/hana", json={"lead": {}}).status_code for _ in range(6)]
    assert statuses[:3] == [403, 403, 403]  # no secret configured: refused, but not rate-limited yet
    assert statuses[3:] == [429, 429, 429]
    response = client.post("/api/webhooks/zalo", content=b"{}")
    # 3 per 300 s (0.01/s): the sender is told to come back when the first of the three leaves the window.
    assert response.status_code == 429 and 250 < int(response.headers["retry-after"]) <= 300
    assert "quá nhanh" in response.json()["detail"]
