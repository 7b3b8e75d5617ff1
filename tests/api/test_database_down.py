"""PostgreSQL goes away and comes back (issue 10). A TCP relay in front of the real server is cut
and restored: while it is cut, webhooks answer 503 (so the provider retries) and nothing is
acknowledged that was not stored; once it is back, the app recovers by itself."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from crm_app.db import get_engine
from crm_app.services import migrations
from tests.conftest import PG_SERVER_URL
from tests.faults.test_two_groups import SECRET, start_group


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.up = target, True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def restore(self) -> None:
        self.up = True


@pytest.fixture
def relayed_db() -> Iterator[tuple[str, str, Relay]]:
    name = f"crm_down_{os.getpid()}"
    server = get_engine(PG_SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    direct = PG_SERVER_URL.rsplit("/", 1)[0] + "/" + name
    migrations.upgrade(direct)
    relay = Relay(("127.0.0.1", 5432))
    yield direct, f"postgresql://postgres@127.0.0.1:{relay.port}/{name}", relay
    relay.cut()
    get_engine(direct).dispose()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def send(base: str, i: int) -> int:
    body = json.dumps({"lead": {"id": {"nomalizeData": f"down-{i}"}, "baseName": {"nomalizeData": f"Khách {i}"}}})
    return httpx.post(f"{base}/api/webhooks/chatbot/hana", content=body.encode(), timeout=30,
                      headers={"Content-Type": "application/json", "X-Webhook-Token": SECRET}).status_code


def test_webhooks_answer_503_while_the_database_is_down_and_recover(relayed_db, tmp_path: Path) -> None:
    direct, via_relay, relay = relayed_db
    proc, base = start_group(via_relay, tmp_path)
    try:
        before = [send(base, i) for i in range(5)]
        relay.cut()
        during = [send(base, i) for i in range(5, 10)]
        health = httpx.get(f"{base}/api/health", timeout=30).status_code
        relay.restore()
        deadline, after = time.monotonic() + 30, []
        while time.monotonic() < deadline:
            status = send(base, 10 + len(after))
            after.append(status)
            if status == 200 and len(after) >= 3:
                break
            time.sleep(0.5)
        with get_engine(direct).connect() as conn:
            stored = set(conn.execute(text("SELECT event_key FROM channel_events")).scalars())
        print(f"\n[database down] before={before} during={during} health_during={health} after={after} "
              f"stored={len(stored)}")
        assert before == [200] * 5
        assert set(during) == {503} and health == 503
        assert after[-1] == 200
        # Exactly what was acknowledged is stored: nothing of the 503 period, nothing lost.
        assert len(stored) == before.count(200) + after.count(200)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
