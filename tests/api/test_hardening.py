"""Hardening checks against the running app: upload size enforced by the server, secrets never
logged, result files only for their owner."""

from __future__ import annotations

import socket
import time

import httpx

from tests.apprunner import RunningApp
from tests.fakes import HANA_SECRET


def test_oversized_upload_is_refused_by_the_server(running_app: RunningApp) -> None:
    """Announced larger than the limit: refused before a byte of the body is read."""
    host, port = running_app.base_url.removeprefix("http://").split(":")
    too_big = 60 * 1024 * 1024
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall((f"POST /_upload HTTP/1.1\r\nHost: {host}\r\nContent-Length: {too_big}\r\n"
                      "Content-Type: multipart/form-data; boundary=x\r\n\r\n").encode())
        answer = conn.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413")
    assert "giới hạn" in answer


def test_secrets_and_tokens_are_not_logged(running_app: RunningApp) -> None:
    forged = "forged-token-7f3a9c"
    for _ in range(3):
        response = httpx.post(f"{running_app.base_url}/api/webhooks/chatbot/hana", params={"token": forged},
                              json={"lead": {"id": {"nomalizeData": "x"}}}, timeout=20)
        assert response.status_code in (401, 403)
    time.sleep(1)
    log = running_app.log_path.read_text(errors="replace")
    assert forged not in log
    assert HANA_SECRET not in log


def test_result_files_need_a_session(running_app: RunningApp) -> None:
    for kind in ("failed", "skipped"):
        assert httpx.get(f"{running_app.base_url}/api/import/jobs/1/{kind}", timeout=20).status_code == 401
    assert httpx.get(f"{running_app.base_url}/api/raw-leads/export.xlsx", timeout=20).status_code == 401
