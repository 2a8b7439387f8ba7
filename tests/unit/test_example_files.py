"""Every configuration file shipped under examples/ loads with the strict loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.catalog import load_catalog
from monitor.correlate.match import MatchIndex
from monitor.demo import load_story
from monitor.sim.scenario import load_scenario
from tests.conftest import EXAMPLE_CATALOG, REPO

SCENARIOS = sorted((REPO / "examples" / "scenarios").glob("*.yaml"))


def test_every_example_file_is_covered_by_a_loader() -> None:
    shipped = {p for p in (REPO / "examples").rglob("*") if p.is_file()}
    covered = {EXAMPLE_CATALOG, REPO / "examples" / "demo" / "story.json", *SCENARIOS}
    assert shipped == covered


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_each_scenario_loads_against_the_example_catalog(path: Path) -> None:
    scenario = load_scenario(path)
    catalog = load_catalog(EXAMPLE_CATALOG)
    assert scenario.catalog.components.keys() == catalog.components.keys()
    assert scenario.spec.faults, "a scenario without a fault rehearses nothing"
    for fault in scenario.spec.faults:
        assert fault.component in catalog.components


def test_the_demo_story_is_in_time_order_and_its_mapped_alerts_reach_the_catalog() -> None:
    title, steps = load_story(REPO / "examples" / "demo" / "story.json")
    assert title
    assert [s.after_seconds for s in steps] == sorted(s.after_seconds for s in steps)
    index = MatchIndex.of(load_catalog(EXAMPLE_CATALOG))
    names = {
        a["labels"]["alertname"]: bool(index.components_for(a["labels"]))
        for step in steps
        for a in step.alerts
    }
    assert names == {
        "CardAuthHighErrorRate": True,
        "PostgresDown": True,
        "RabbitMQNodeDown": True,
        "DiskAlmostFull": False,
    }
