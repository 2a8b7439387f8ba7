"""Every configuration file shipped under examples/ loads with the strict loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.catalog import load_catalog
from monitor.correlate.match import MatchIndex
from monitor.demo import DEFAULT_SCENARIO
from monitor.demo.alerts import alerts_for
from monitor.demo.world import Fault
from monitor.sim.scenario import load_scenario
from tests.conftest import EXAMPLE_CATALOG, REPO

SCENARIOS = sorted((REPO / "examples" / "scenarios").glob("*.yaml"))


def test_every_example_file_is_covered_by_a_loader() -> None:
    shipped = {p for p in (REPO / "examples").rglob("*") if p.is_file()}
    covered = {EXAMPLE_CATALOG, *SCENARIOS}
    assert shipped == covered


def test_the_demo_plays_a_shipped_scenario() -> None:
    assert DEFAULT_SCENARIO in SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_each_scenario_loads_against_the_example_catalog(path: Path) -> None:
    scenario = load_scenario(path)
    catalog = load_catalog(EXAMPLE_CATALOG)
    assert scenario.catalog.components.keys() == catalog.components.keys()
    assert scenario.spec.faults, "a scenario without a fault rehearses nothing"
    for fault in scenario.spec.faults:
        assert fault.component in catalog.components


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_demo_turns_each_fault_into_an_alert_mapped_to_its_component(path: Path) -> None:
    scenario = load_scenario(path)
    index = MatchIndex.of(scenario.catalog)
    faults = [
        Fault(spec=f, start=scenario.start + f.at, end=scenario.start + f.at + f.duration)
        for f in scenario.spec.faults
    ]
    for alert in alerts_for(faults, scenario.catalog):
        assert alert.fault.spec.component in index.components_for(alert.labels)
        assert alert.labels["severity"] in {"critical", "warning"}
