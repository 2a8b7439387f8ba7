"""The HTML post-incident report in a real headless Chromium, written by the running worker."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bench.report import seed_incident
from monitor.bootstrap import build_runtime
from monitor.demo import running_server
from monitor.settings import Settings
from tests.conftest import EXAMPLE_CATALOG, REPO
from tests.support.processes import free_port

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def test_the_resolved_incident_gets_a_report_that_chromium_renders(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not on PATH; install Debian's package: apt-get install chromium"
    settings = Settings(data_dir=tmp_path, catalog_path=EXAMPLE_CATALOG, require_auth=False)
    runtime = build_runtime(settings)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    incident_id = seed_incident(
        runtime.store, catalog=runtime.catalog, alerts=400, hours=2, start=start
    )
    try:
        with running_server(runtime, host="127.0.0.1", port=free_port()) as url:
            stored: list[dict[str, object]] = []
            deadline = time.monotonic() + 30
            while not stored and time.monotonic() < deadline:
                runtime.worker.wake()
                time.sleep(0.2)
                stored = httpx.get(f"{url}/api/v1/incidents/{incident_id}/reports").json()
            assert stored, "the worker wrote no report for the resolved incident"
            assert stored[0]["final"] is True
            page = f"{url}/api/v1/incidents/{incident_id}/report?format=html&stored=true"
            profile = tmp_path / "profile"
            dom = subprocess.run(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            assert 'id="chart-affected"' in dom
            assert 'id="chart-states"' in dom
            assert dom.count("<polyline") >= 3  # one line per touchpoint
            assert "about 14,400 customers (between 12,960 and 15,840)" in dom
            assert "Blameless review" in dom
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "incident-report.png"
            shot.unlink(missing_ok=True)
            subprocess.run(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--hide-scrollbars",
                    "--window-size=1280,2400",
                    f"--screenshot={shot}",
                    page,
                ],
                capture_output=True,
                timeout=60,
                check=True,
            )
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert len(data) > 20_000
    finally:
        runtime.close()
