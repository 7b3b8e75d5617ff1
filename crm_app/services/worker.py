"""The consumer: Huey's, plus the sweep on a timer. `crm worker` runs one anywhere (pointed at the
same database and Redis); the app starts one itself on the embedded default (`make run`).

Huey's periodic tasks have a one-minute resolution; the sweep runs every CRM_QUEUE_SWEEP_SECONDS
(and once at start, so a restarted consumer picks up what a killed one left) from a thread here.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from crm_app.services import tasks
from crm_app.settings import get_settings

log = logging.getLogger(__name__)


def run(*, threads: int | None = None, embedded: bool = False, parent_pid: int | None = None) -> int:
    """Consume until SIGINT (finish running tasks, 10 s at most) or SIGTERM (stop now): a stopped
    import is resumed from its checkpoint by the next consumer, as after a crash."""
    settings = get_settings()
    stop = threading.Event()
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid, stop), name="parent-watch", daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt), _embedded_lock() if embedded else contextlib.nullcontext():
        huey = tasks.queue().huey
        polling = not settings.queue_url.startswith("redis")  # SQLite is polled; Redis blocks on a pop
        consumer = huey.create_consumer(workers=threads or settings.worker_threads, worker_type="thread",
                                        periodic=True, initial_delay=0.05, backoff=1.5,
                                        max_delay=0.5 if polling else 2.0, shutdown_timeout=10)
        sweeper = threading.Thread(target=_sweep_loop, args=(settings.queue_sweep_seconds, stop),
                                   name="sweep", daemon=True)
        sweeper.start()
        try:
            consumer.run()
        finally:
            stop.set()
    return 0


def _sweep_loop(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            tasks.sweep()
        except Exception:  # noqa: BLE001 - database or queue down: the next pass retries
            log.warning("sweep failed", exc_info=True)
        stop.wait(interval)


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    """A consumer started for an app ends with it, even one killed with -9."""
    while not stop.wait(1):
        if not _alive(parent_pid):
            log.info("process %s ended: consumer exiting", parent_pid)
            os.kill(os.getpid(), signal.SIGINT)
            return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a child of someone else that ended but was not reaped yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@contextlib.contextmanager
def _embedded_lock() -> Iterator[None]:
    """One embedded consumer per data directory, however many app workers start one: the others
    wait here and take over if it ends."""
    path = get_settings().data_dir / "worker.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def spawn_embedded() -> subprocess.Popen[bytes] | None:
    """Start the app's own consumer (a child process) when the settings ask for one."""
    if not get_settings().runs_embedded_worker:
        return None
    cmd = [sys.executable, "-m", "crm_app.cli", "worker", "--embedded", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(cmd)  # noqa: S603 - our own interpreter and module


def stop_embedded(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
