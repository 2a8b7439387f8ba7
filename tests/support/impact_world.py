"""A small simulated world for the impact tests: served by the embedded query API, opdb on disk.

Fifteen days of 3,000 customers (two weeks of history before the faults):
small enough to simulate in seconds, large enough for the baselines. The
three-minute ``login-blip`` is shorter than the catalog's ``[5m]`` ranges.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.sim.generate import simulate
from monitor.sim.opdb import write_opdb
from monitor.sim.openmetrics import families
from monitor.sim.query_server import serve_query_api, store_from_families
from monitor.sim.scenario import load_scenario
from tests.conftest import EXAMPLE_CATALOG

SCENARIO = f"""
name: impact-small
catalog: {EXAMPLE_CATALOG}
seed: 5
start: 2025-03-03T00:00:00Z
duration: 15d
customers: 3000
faults:
  - {{id: card-auth-down, component: card-auth, kind: down, at: 14d9h, duration: 40m}}
  - {{id: login-errors, component: idp, kind: error_ratio, error_ratio: 0.4,
      at: 14d14h, duration: 30m}}
  - {{id: login-blip, component: idp, kind: down, at: 14d11h, duration: 3m}}
"""


@dataclass(frozen=True)
class SmallWorld:
    """What the tests read: the query API's URL, the opdb URL, the truth."""

    prometheus_url: str
    opdb_url: str
    truth: dict[str, Any]

    def fault(self, fault_id: str) -> tuple[datetime, datetime]:
        """Start and end of a fault."""
        found = next(f for f in self.truth["faults"] if f["id"] == fault_id)
        return datetime.fromisoformat(found["start"]), datetime.fromisoformat(found["end"])

    def affected(self, fault_id: str, touchpoint: str) -> int:
        """True number of affected customers of a touchpoint in a fault."""
        cell = self.truth["incidents"].get(fault_id, {}).get(touchpoint)
        return len(cell["affected_customers"]) if cell else 0


@contextmanager
def small_world(directory: Path) -> Iterator[SmallWorld]:
    """Simulate the world, write its opdb under ``directory``, serve its metrics."""
    scenario_file = directory / "scenario.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(scenario_file)
    result = simulate(scenario)
    write_opdb(directory / "opdb.sqlite", result.rows)
    fams = families(result.metrics, catalog=scenario.catalog, plan=result.plan)
    store = store_from_families(fams, epoch0=int(scenario.start.timestamp()))
    server = serve_query_api(store)
    try:
        yield SmallWorld(server.url, f"sqlite:///{directory / 'opdb.sqlite'}", result.truth)
    finally:
        server.close()
