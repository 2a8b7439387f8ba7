"""The demo's simulated company: a scenario shrunk to play in minutes, simulated and served.

A shipped scenario simulates weeks of 50,000 customers; the demo keeps its
faults at the same moments (weekday and hour matter: a Monday-morning outage
hurts more than a Sunday-night one) but keeps only ``history`` of quiet weeks
before the first fault (what the estimators' baselines read) and a little
time after the last one, with fewer customers, so that simulating takes
seconds. The metrics are served by the embedded Prometheus-compatible query
API and the company's records are written to an SQLite operational
database: the monitor reads both exactly as it would read production.

The ground truth is written next to them (``truth.json``) for whoever wants
to check the monitor's figures afterwards; the demo itself never reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.errors import ConfigError, Problem
from monitor.sim import Scenario, ScenarioSpec, simulate
from monitor.sim.opdb import write_opdb
from monitor.sim.openmetrics import families
from monitor.sim.query_server import serve_query_api, store_from_families
from monitor.sim.scenario import FaultSpec
from monitor.sim.truth import write_truth

AFTERWARDS = timedelta(hours=2)
"""Simulated time kept after the last fault: the final estimate reads past its end."""


@dataclass(frozen=True)
class Fault:
    """One fault of the scenario at its absolute time."""

    spec: FaultSpec
    start: datetime
    end: datetime


@dataclass(frozen=True)
class DemoWorld:
    """What the monitor is pointed at, and the faults the demo turns into alerts."""

    scenario: Scenario
    faults: tuple[Fault, ...]
    prometheus_url: str
    opdb_url: str

    @property
    def first_fault(self) -> datetime:
        """When the first fault starts."""
        return min(f.start for f in self.faults)

    @property
    def last_fault_end(self) -> datetime:
        """When the last fault ends."""
        return max(f.end for f in self.faults)


def shrink(scenario: Scenario, *, customers: int, history: timedelta) -> Scenario:
    """The scenario with ``history`` before its first fault, to a whole day, and fewer customers.

    Whole days keep every fault on its weekday and hour; the faults' offsets
    are moved so that their absolute times do not change.
    """
    spec = scenario.spec
    if not spec.faults:
        raise ConfigError([Problem(scenario.source, None, "faults", "the demo needs a fault")])
    first = min(spec.start + f.at for f in spec.faults)
    last = max(spec.start + f.at + f.duration for f in spec.faults)
    start = (first - history).replace(hour=0, minute=0, second=0, microsecond=0)
    data = spec.model_dump()
    data["start"] = start
    data["customers"] = customers
    data["duration"] = last - start + AFTERWARDS
    for fault in data["faults"]:
        fault["at"] = spec.start + fault["at"] - start
    return Scenario(ScenarioSpec.model_validate(data), scenario.catalog, source=scenario.source)


@contextmanager
def demo_world(scenario: Scenario, *, directory: Path) -> Iterator[DemoWorld]:
    """Simulate the scenario, write its records and truth to ``directory``, serve its metrics."""
    directory.mkdir(parents=True, exist_ok=True)
    result = simulate(scenario)
    opdb = directory / "opdb.sqlite"
    opdb.unlink(missing_ok=True)
    write_opdb(opdb, result.rows)
    write_truth(directory / "truth.json", result.truth)
    fams = families(result.metrics, catalog=scenario.catalog, plan=result.plan)
    store = store_from_families(fams, epoch0=int(scenario.start.timestamp()))
    del result, fams  # the series store holds what the query API needs
    faults = tuple(
        Fault(spec=f, start=scenario.start + f.at, end=scenario.start + f.at + f.duration)
        for f in scenario.spec.faults
    )
    server = serve_query_api(store)
    try:
        yield DemoWorld(
            scenario=scenario,
            faults=faults,
            prometheus_url=server.url,
            opdb_url=f"sqlite:///{opdb}",
        )
    finally:
        server.close()
