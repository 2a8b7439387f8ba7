"""Live replay: rebased on the wall clock, /metrics for Prometheus, a database that fills."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from monitor.sim.live import prepare, run_live
from monitor.sim.scenario import Scenario

TEXT = """
name: live
catalog: {catalog}
seed: 4
start: 2025-03-07T00:00:00Z
duration: 6h
customers: 2000
faults:
  - {{id: card-auth-down, component: card-auth, kind: down, at: 2h, duration: 30m}}
"""


DOWN = 'service="card-auth"} 0.0'
"""The ``up`` sample of the faulted component while it is down."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_prepare_puts_the_lead_before_the_first_fault_at_now(
    make_scenario: Callable[[str], Scenario], catalog_path: Path
) -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    plan = prepare(
        make_scenario(TEXT.format(catalog=catalog_path)), lead=timedelta(minutes=5), now=now
    )
    assert plan.begin == 115
    assert plan.result.scenario.start + timedelta(minutes=plan.begin) == now


def test_run_live_serves_metrics_and_fills_the_database(
    make_scenario: Callable[[str], Scenario], catalog_path: Path, tmp_path: Path
) -> None:
    scenario = make_scenario(TEXT.format(catalog=catalog_path))
    port = _free_port()
    db = tmp_path / "live.sqlite"
    thread = threading.Thread(
        target=run_live,
        kwargs={
            "scenario": scenario,
            "db_path": db,
            "port": port,
            "speed": 300.0,
            "minutes": 12,
            "say": lambda _text: None,
        },
    )
    thread.start()
    body = ""
    # the scenario is simulated before the replay starts, which a loaded machine
    # makes slow; the exporter keeps serving the last minute after the replay ends
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and DOWN not in body:
        with contextlib.suppress(requests.ConnectionError):
            body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
        time.sleep(0.1)
    thread.join(timeout=20)
    assert "touchpoint_requests_total{" in body
    assert 'touchpoint="card-payments"' in body
    # the fault shows whatever the hour: failed requests need customers awake
    # (the replay runs at the wall clock's time of day), a down exporter does not
    assert DOWN in body
    conn = sqlite3.connect(db)
    (rows,) = conn.execute("SELECT COUNT(*) FROM transactions").fetchone()
    conn.close()
    assert rows > 0
