"""Run ``monitor serve`` as a real process, to kill it, cut its database, or read its log.

Plain Python (no pytest), shared by the fault tests and ``bench/faults.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import free_port

REPO = Path(__file__).resolve().parent.parent.parent
CATALOG = REPO / "examples" / "catalog.yaml"


@dataclass
class MonitorProcess:
    """A started ``monitor serve``: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer stops it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def log(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace")


def monitor_env(
    *, database_url: str, data_dir: Path, port: int, extra: Mapping[str, str] = {}
) -> dict[str, str]:
    """The environment of a monitor on loopback with the example catalog."""
    return {
        **os.environ,
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_CATALOG_PATH": str(CATALOG),
        "MONITOR_PORT": str(port),
        "MONITOR_WORKER_POLL_SECONDS": "0.1",
        "MONITOR_LOG_LEVEL": "WARNING",
        "MONITOR_REQUIRE_AUTH": "false",
        **extra,
    }


def start_monitor(
    *,
    database_url: str,
    data_dir: Path,
    extra: Mapping[str, str] = {},
    wait_for: str = "/healthz",
    timeout: float = 30.0,
    log_dir: Path | None = None,
) -> MonitorProcess:
    """Start ``monitor serve`` and return once ``wait_for`` answers 200."""
    port = free_port()
    env = monitor_env(database_url=database_url, data_dir=data_dir, port=port, extra=extra)
    log_path = (log_dir or data_dir) / f"serve-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
        )
    running = MonitorProcess(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        wait_until(
            lambda: httpx.get(f"{running.url}{wait_for}", timeout=2).status_code == 200,
            timeout=timeout,
            alive=running,
        )
    except BaseException:
        running.kill()
        raise
    return running


@contextmanager
def monitor(
    *,
    database_url: str,
    data_dir: Path,
    extra: Mapping[str, str] = {},
    wait_for: str = "/healthz",
    log_dir: Path | None = None,
) -> Iterator[MonitorProcess]:
    """A running monitor for the block, SIGKILLed at the end."""
    running = start_monitor(
        database_url=database_url,
        data_dir=data_dir,
        extra=extra,
        wait_for=wait_for,
        log_dir=log_dir,
    )
    try:
        yield running
    finally:
        running.kill()


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float = 30.0,
    alive: MonitorProcess | None = None,
    what: str = "condition",
) -> None:
    """Poll ``ready`` every 0.1 s (HTTP errors count as not yet) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.process.poll() is not None:
            raise AssertionError(f"monitor serve exited early:\n{alive.log()[-3000:]}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = alive.log()[-3000:] if alive is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")


def alerts_processed(server: MonitorProcess) -> int:
    """How many alerts the server's incidents hold: what the worker has processed so far."""
    items = httpx.get(f"{server.url}/api/v1/incidents?limit=100", timeout=5).json()["items"]
    return sum(int(i["total_alerts"]) for i in items)
