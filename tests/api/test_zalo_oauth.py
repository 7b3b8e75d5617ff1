"""The Zalo OAuth callback over HTTP against the running app: whatever arrives, a redirect to the
Zalo OA settings screen saying what happened — never a 500, never a token in the URL."""

from __future__ import annotations

import httpx
import pytest

from tests.apprunner import RunningApp


@pytest.mark.parametrize(("query", "result"), [
    ({}, "denied"),
    ({"error": "access_denied"}, "denied"),
    ({"code": "abc", "state": "not-a-state-we-issued"}, "invalid"),
    ({"code": "x" * 3000, "state": "y" * 3000, "oa_id": "z" * 3000}, "invalid"),
    ({"code": "abc", "state": "\x00é'\"<script>", "oa_id": "-1 OR 1=1"}, "invalid"),
])
def test_callback_without_a_valid_state_redirects_with_the_reason(running_app: RunningApp, query: dict[str, str],
                                                                   result: str) -> None:
    seen = running_app.log_path.stat().st_size
    answer = httpx.get(f"{running_app.base_url}/api/zalo/oauth/callback", params=query, timeout=20,
                       follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/settings/zalo?zalo={result}"
    with running_app.log_path.open("rb") as log:
        log.seek(seen)
        assert b"Traceback" not in log.read()
