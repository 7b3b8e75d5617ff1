"""Build and start the real app (`reflex run --env prod --single-port`) on a free port
with a throw-away SQLite database, exactly as `make run` does; or its API alone under granian,
the ASGI server Reflex itself runs, with as many workers as asked (`start_api`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningApp:
    base_url: str
    database_url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    def crm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "crm"), *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=check, timeout=600)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def start_app(workdir: Path, extra_env: dict[str, str] | None = None,
              timeout: float = 600) -> RunningApp:
    port = free_port()
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = (extra_env or {}).get("DATABASE_URL") or f"sqlite:///{data_dir / 'crm.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CRM_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{VENV_BIN}:{os.environ['PATH']}",
        **(extra_env or {}),
    }
    if "REDIS_URL" not in (extra_env or {}):
        env.pop("REDIS_URL", None)
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(VENV_BIN / "crm"), *args], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=300)
    log_path = workdir / "app.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port",
         "--frontend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    app = RunningApp(f"http://127.0.0.1:{port}", database_url, data_dir, env, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if (httpx.get(f"{app.base_url}/api/health", timeout=2).status_code == 200
                    and httpx.get(f"{app.base_url}/login", timeout=2, follow_redirects=True).status_code == 200):
                return app
        except httpx.HTTPError:
            pass
        time.sleep(1)
    app.stop()
    raise RuntimeError(f"app did not start in {timeout}s:\n{log_path.read_text()[-4000:]}")


def start_api(database_url: str, workdir: Path, *, workers: int = 1, extra_env: dict[str, str] | None = None,
              timeout: float = 60) -> tuple[subprocess.Popen[bytes], str]:
    """`crm_app.api.build_api()` on a free port; returns once it answers /api/health at all
    (503 too: a test may start it with its database down). Webhook rate limits are lifted."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CRM_DATA_DIR": str(workdir),
           "CRM_WEBHOOK_RATE": "100000", "CRM_WEBHOOK_BURST": "100000", **(extra_env or {})}
    log_path = workdir / f"api-{port}.log"
    process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
        [str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "crm_app.api:build_api",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{base}/api/health", timeout=2)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"the API did not start:\n{log_path.read_text()[-2000:]}")
