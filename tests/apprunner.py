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


# Background work on a scale a test can wait for: lost messages re-enqueued after 3 s, looked for
# every second; a retry after 1 s; an import whose heartbeat is 3 s old is resumed.
QUICK_QUEUE = {"CRM_QUEUE_STALE_SECONDS": "3", "CRM_QUEUE_SWEEP_SECONDS": "1", "CRM_EVENT_RETRY_DELAY": "1",
               "CRM_IMPORT_STALE_SECONDS": "3"}


def api_env(database_url: str, workdir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an API process and of its consumers. Webhook rate limits are lifted."""
    env = {**os.environ, "DATABASE_URL": database_url, "CRM_DATA_DIR": str(workdir),
           "CRM_WEBHOOK_RATE": "100000", "CRM_WEBHOOK_BURST": "100000", **QUICK_QUEUE, **(extra_env or {})}
    if "REDIS_URL" not in (extra_env or {}):
        env.pop("REDIS_URL", None)
    return env


def start_api(database_url: str, workdir: Path, *, workers: int = 1, extra_env: dict[str, str] | None = None,
              timeout: float = 60, consumer: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """`crm_app.api.build_api()` on a free port; returns once it answers /api/health at all
    (503 too: a test may start it with its database down). With `consumer`, a `crm worker` that
    ends with it processes what it stores."""
    port = free_port()
    env = api_env(database_url, workdir, extra_env)
    log_path = workdir / f"api-{port}.log"
    process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
        [str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "crm_app.api:build_api",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    if consumer:
        start_worker(env, workdir, parent_pid=process.pid)
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


def start_worker(env: dict[str, str], workdir: Path, *, parent_pid: int | None = None,
                 threads: int | None = None) -> subprocess.Popen[bytes]:
    """A `crm worker` consumer (ending with `parent_pid` if given); its log in `workdir`."""
    args = [str(VENV_BIN / "crm"), "worker"]
    args += ["--parent-pid", str(parent_pid)] if parent_pid else []
    args += ["--threads", str(threads)] if threads else []
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


@dataclass
class RedisServer:
    """A Redis of a test's own on a free port: it can be stopped and started again (the machine's
    Redis is shared with other runs)."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=(self.workdir / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
