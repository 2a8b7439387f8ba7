"""The README's demo command runs end to end and tells the story it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.slow


def test_monitor_demo_plays_the_outage_and_resolves_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "demo",
            "--once",
            "--speed",
            "8",
            "--port",
            str(free_port()),
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "card-payments: major_outage" in out
    assert "db-primary-eu (alert PostgresDown)" in out
    assert "Unmapped alerts (kept, not tied to the catalog): DiskAlmostFull" in out
    final = out.rsplit("Waiting", 1)[1]
    assert final.count("resolved") >= 2  # the outage and the broker incident resolve
    assert (tmp_path / "monitor.db").exists()
