"""The README's first command plays a simulated outage end to end and tells it truthfully."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.sim.truth import read_truth
from tests.support.processes import free_port

pytestmark = pytest.mark.slow

FINAL = re.compile(
    r"final estimate: .*?card-payments ([\d,]+) customers \[([\d,]+)–([\d,]+), 90%\]"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run ``monitor demo --once`` on the default scenario; its output and data directory."""
    data_dir = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "demo",
            "--once",
            "--speed",
            "120",
            "--port",
            str(free_port()),
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, data_dir


def test_the_alert_opens_an_incident_explained_down_to_the_failed_component(
    demo: tuple[str, Path],
) -> None:
    out, _ = demo
    assert "CardAuthDown firing {service=card-auth, severity=critical}" in out
    assert "card-payments: operational → major_outage" in out
    assert "card-payments ← card-auth (alert CardAuthDown)" in out
    assert "acknowledges incident #1" in out
    assert "card-payments: major_outage → operational" in out
    assert "Resolved: no alert fired during the quiet period" in out


def test_the_final_estimate_interval_contains_the_simulated_truth(
    demo: tuple[str, Path],
) -> None:
    out, data_dir = demo
    assert out.count("estimate so far: card-payments") >= 5  # it grows while the outage lasts
    found = FINAL.search(out)
    assert found is not None, out[-3000:]
    estimate, low, high = (int(g.replace(",", "")) for g in found.groups())
    truth = read_truth(data_dir / "world" / "truth.json")
    affected = len(truth["incidents"]["card-auth-down"]["card-payments"]["affected_customers"])
    assert low <= affected <= high
    assert low <= estimate <= high


def test_slack_messages_reach_the_sink_and_the_status_page_shows_the_outage(
    demo: tuple[str, Path],
) -> None:
    out, data_dir = demo
    assert "#payments post: :rotating_light: Card payments is failing (sev1)" in out
    records = [
        json.loads(line)
        for line in (data_dir / "notifications.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {r.get("channel") for r in records} >= {"#payments", "#airline"}
    assert any("Resolved after" in r.get("text", "") for r in records)
    [outage] = (data_dir / "status-page").glob("status-*-critical.html")
    page = outage.read_text(encoding="utf-8")
    assert "Card payments" in page
    assert "Major outage" in page
    assert "status page  indicator critical" in out
    assert "indicator none: all systems operational" in out


def test_the_post_incident_report_is_written_and_its_path_printed(
    demo: tuple[str, Path],
) -> None:
    out, data_dir = demo
    report = data_dir / "reports" / "incident-1.html"
    assert f"Post-incident report of incident #1: {report}" in out
    html = report.read_text(encoding="utf-8")
    assert "Card authorisation" in html
    assert (data_dir / "monitor.db").exists()
