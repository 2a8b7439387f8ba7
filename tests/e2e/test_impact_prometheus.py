"""``monitor impact`` as a program, against a real Prometheus over promtool-backfilled history.

The world is small (eight days, 3,000 customers, one past week of
baseline); the estimate must contain the simulator's truth and a quiet
window must give zero.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.accuracy import backfill, prometheus
from monitor.sim.generate import generate
from monitor.sim.scenario import load_scenario
from tests.conftest import EXAMPLE_CATALOG, REPO

pytestmark = pytest.mark.slow

SCENARIO = f"""
name: e2e-impact
catalog: {EXAMPLE_CATALOG}
seed: 9
start: 2025-03-03T00:00:00Z
duration: 8d
customers: 3000
faults:
  - {{id: card-auth-down, component: card-auth, kind: down, at: 7d12h, duration: 45m}}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("prometheus and promtool are not installed")
    base = tmp_path_factory.mktemp("impact-e2e")
    (base / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    world = base / "world"
    generate(load_scenario(base / "scenario.yaml"), world)
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
    with prometheus(backfill(world)) as url:
        yield url, world, truth


def _impact(url: str, world: Path, start: datetime, end: datetime) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable, "-m", "monitor.cli", "impact", "--catalog", str(EXAMPLE_CATALOG),
            "--start", start.isoformat(), "--end", end.isoformat(), "--prometheus", url,
            "--odata-url", f"sqlite:///{world / 'opdb.sqlite'}", "--json",
        ],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_outage_estimate_contains_the_truth(served: tuple[str, Path, dict[str, Any]]) -> None:
    url, world, truth = served
    fault = truth["faults"][0]
    start, end = datetime.fromisoformat(fault["start"]), datetime.fromisoformat(fault["end"])
    answer = _impact(url, world, start, end)
    by_id = {t["id"]: t for t in answer["touchpoints"]}
    for tp, cell in truth["incidents"]["card-auth-down"].items():
        want = len(cell["affected_customers"])
        got = by_id[tp]["affected_customers"]
        assert got["low"] <= want <= got["high"], (tp, want, got)
    card = by_id["card-payments"]
    want = len(truth["incidents"]["card-auth-down"]["card-payments"]["affected_customers"])
    assert abs(card["affected_customers"]["estimate"] - want) <= 0.15 * want


def test_quiet_window_is_zero(served: tuple[str, Path, dict[str, Any]]) -> None:
    url, world, truth = served
    fault = truth["faults"][0]
    start = datetime.fromisoformat(fault["start"]) - timedelta(hours=5)
    answer = _impact(url, world, start, start + timedelta(minutes=45))
    for tp in answer["touchpoints"]:
        assert tp["affected_customers"]["low"] == 0, tp
        assert tp["failed_interactions"]["estimate"] == 0, tp
