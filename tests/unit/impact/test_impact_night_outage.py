"""A short card outage at night in a world without history, as the whole-chain test sees it.

No past week anywhere: the records cannot tell unrecorded customers from
quiet ones (they only give a floor), and the card failures never reach the
recording service (no failed record at all). The counters see a handful of
customers fail a dozen times. The combined interval must not start at zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.catalog import load_catalog
from monitor.impact import Sources, Window, estimate_touchpoint
from monitor.sim.generate import simulate
from monitor.sim.opdb import write_opdb
from monitor.sim.openmetrics import families
from monitor.sim.query_server import serve_query_api, store_from_families
from monitor.sim.scenario import load_scenario
from monitor.sources import PrometheusMetrics, SqlOperationalData
from tests.conftest import EXAMPLE_CATALOG

CATALOG = load_catalog(EXAMPLE_CATALOG)
SCENARIO = f"""
name: night-outage
catalog: {EXAMPLE_CATALOG}
seed: 11
start: 2025-03-03T00:00:00Z
duration: 1h
customers: 20000
faults:
  - {{id: card-auth-down, component: card-auth, kind: down, at: 40m, duration: 3m}}
"""


@dataclass(frozen=True)
class NightWorld:
    sources: Sources
    truth: dict[str, Any]

    def fault(self) -> tuple[datetime, datetime]:
        [found] = self.truth["faults"]
        return datetime.fromisoformat(found["start"]), datetime.fromisoformat(found["end"])


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NightWorld]:
    directory: Path = tmp_path_factory.mktemp("night-outage")
    (directory / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(directory / "scenario.yaml")
    result = simulate(scenario)
    write_opdb(directory / "opdb.sqlite", result.rows)
    fams = families(result.metrics, catalog=scenario.catalog, plan=result.plan)
    server = serve_query_api(store_from_families(fams, epoch0=int(scenario.start.timestamp())))
    try:
        yield NightWorld(
            Sources(
                metrics=PrometheusMetrics(server.url, timeout_seconds=10),
                operational=SqlOperationalData.from_url(f"sqlite:///{directory / 'opdb.sqlite'}"),
            ),
            result.truth,
        )
    finally:
        server.close()


def test_counted_failures_keep_the_lower_bound_above_zero_when_records_saw_none(
    night: NightWorld,
) -> None:
    start, end = night.fault()
    # The incident opens a minute into the fault (the alert's for: 1m), as in the whole chain.
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=CATALOG.touchpoints["card-payments"],
        window=Window(start + timedelta(minutes=1), end),
        sources=night.sources,
        failed_components=["card-auth"],
    )
    estimate = impact.estimate
    whole = len(night.truth["incidents"]["card-auth-down"]["card-payments"]["affected_customers"])
    affected, failed = estimate.affected_customers, estimate.failed_interactions
    assert affected is not None
    assert failed is not None
    assert any(
        m.startswith("operational_sql: 0 customers with a failed record") for m in estimate.methods
    )
    assert failed.low >= 1
    assert 0 < affected.low <= affected.estimate <= affected.high
    assert affected.low <= whole
    assert any("at least one customer affected" in q for q in estimate.quality)
