"""Killing the real server between accepting and processing loses nothing and repeats nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_CATALOG
from tests.support.payloads import captured_payloads
from tests.support.processes import free_port

pytestmark = pytest.mark.slow


@contextmanager
def serve(database_url: str, tmp_path: Path, *, worker: bool) -> Iterator[str]:
    """Run ``monitor serve`` as its own process; yields its base URL; SIGKILLs it at the end."""
    port = free_port()
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_DATA_DIR": str(tmp_path),
        "MONITOR_CATALOG_PATH": str(EXAMPLE_CATALOG),
        "MONITOR_PORT": str(port),
        "MONITOR_WORKER_ENABLED": "true" if worker else "false",
        "MONITOR_WORKER_POLL_SECONDS": "0.1",
        "MONITOR_LOG_LEVEL": "WARNING",
        "MONITOR_REQUIRE_AUTH": "false",
    }
    log = (tmp_path / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{url}/healthz", timeout=1).status_code == 200, process)
        yield url
    finally:
        process.send_signal(signal.SIGKILL)  # no clean shutdown: the point of the test
        process.wait(10)
        log.close()


def _wait(ready: Any, process: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process is None or process.poll() is None, "monitor serve exited early"
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


def _snapshot(url: str) -> list[tuple[int, str, int, list[str]]]:
    found = []
    for incident in httpx.get(f"{url}/api/v1/incidents", timeout=5).json()["items"]:
        detail = httpx.get(f"{url}/api/v1/incidents/{incident['id']}", timeout=5).json()
        kinds = [e["kind"] for e in detail["timeline"]]
        found.append((incident["id"], incident["title"], incident["total_alerts"], kinds))
    return found


def test_accepted_alerts_survive_a_kill_and_are_processed_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    payloads = captured_payloads()
    with serve(database_url, tmp_path, worker=False) as url:
        for name in ("postgres-down-firing", "card-auth-errors-payments", "postgres-down-firing"):
            response = httpx.post(f"{url}/api/v1/ingest/alertmanager", content=payloads[name])
            assert response.status_code == 200
        assert httpx.get(f"{url}/api/v1/incidents").json()["items"] == []
    # killed with three accepted, unprocessed deliveries
    with serve(database_url, tmp_path, worker=True) as url:
        _wait(lambda: len(httpx.get(f"{url}/api/v1/incidents").json()["items"]) >= 1)
        time.sleep(1)
        first = _snapshot(url)
    assert len(first) == 1
    assert first[0][2] == 2  # PostgresDown and CardAuthHighErrorRate, each once
    assert first[0][3].count("alert_fired") == 2
    with serve(database_url, tmp_path, worker=True) as url:
        time.sleep(1.5)
        again = _snapshot(url)
        metrics = httpx.get(f"{url}/metrics").text
    assert again == first
    assert "monitor_inbox_backlog 0.0" in metrics
