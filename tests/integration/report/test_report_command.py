"""``monitor report``: one incident in each format to a file, or a period summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.report import START, seed_incident
from monitor.catalog import load_catalog
from monitor.cli import app
from monitor.store import Store
from tests.conftest import EXAMPLE_CATALOG

runner = CliRunner()


@pytest.fixture
def seeded(store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("MONITOR_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITOR_CATALOG_PATH", str(EXAMPLE_CATALOG))
    return seed_incident(store, catalog=load_catalog(EXAMPLE_CATALOG), alerts=50, hours=1)


def test_one_incident_is_written_in_each_format(seeded: int, tmp_path: Path) -> None:
    for fmt in ("md", "html", "json"):
        target = tmp_path / f"report.{fmt}"
        result = runner.invoke(app, ["report", str(seeded), "--format", fmt, "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 1000
    body = json.loads((tmp_path / "report.json").read_text())
    assert body["estimate_status"] == "final"
    assert "<svg" in (tmp_path / "report.html").read_text()
    printed = runner.invoke(app, ["report", str(seeded)])
    assert printed.output.startswith("# Post-incident report:")


def test_the_period_summary_lists_the_month_and_unknown_incidents_exit_1(seeded: int) -> None:
    month = [f"--since={START:%Y-%m}-01", f"--until={START:%Y}-{START.month + 1:02d}-01"]
    result = runner.invoke(app, ["report", *month])
    assert result.exit_code == 0, result.output
    assert "1 incident" in result.output
    assert "| Card payments | 1 | 2,400 |" in result.output
    assert runner.invoke(app, ["report", str(seeded + 1)]).exit_code == 1
    assert runner.invoke(app, ["report"]).exit_code == 2
