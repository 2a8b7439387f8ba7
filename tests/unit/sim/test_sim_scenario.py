from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.sim.scenario import FaultKind, Scenario, load_scenario, parse_duration

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = sorted((REPO / "examples" / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_example_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.spec.faults
    assert scenario.minutes > 0


def test_examples_cover_the_required_stories() -> None:
    names = {p.stem for p in SCENARIOS}
    required = {
        *("bank-overdraft", "payroll-failure", "airline-checkin", "regional-partition"),
        *("slow-degradation", "card-network-outage", "sunday-3am", "monday-9am"),
    }
    assert required <= names
    kinds = {f.kind for p in SCENARIOS for f in load_scenario(p).spec.faults}
    assert {FaultKind.DOWN, FaultKind.ERROR_RATIO, FaultKind.LATENCY, FaultKind.REGION_CUT,
            FaultKind.BATCH_FAILURE} <= kinds  # fmt: skip


def test_same_fault_at_sunday_3am_and_monday_9am() -> None:
    sunday = load_scenario(REPO / "examples" / "scenarios" / "sunday-3am.yaml")
    monday = load_scenario(REPO / "examples" / "scenarios" / "monday-9am.yaml")
    s_fault, m_fault = sunday.spec.faults[0], monday.spec.faults[0]
    assert (s_fault.component, s_fault.kind, s_fault.duration) == (
        m_fault.component, m_fault.kind, m_fault.duration,
    )  # fmt: skip
    s_at, m_at = sunday.start + s_fault.at, monday.start + m_fault.at
    assert (s_at.weekday(), s_at.hour) == (6, 3)
    assert (m_at.weekday(), m_at.hour) == (0, 9)


def test_durations_read_like_people_write_them() -> None:
    assert parse_duration("1d6h") == timedelta(days=1, hours=6)
    assert parse_duration("4w") == timedelta(weeks=4)
    assert parse_duration(90) == timedelta(minutes=90)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_unknown_key_is_reported_with_file_and_line(
    make_scenario: Callable[[str], Scenario], catalog_path: Path
) -> None:
    text = f"""name: x
catalog: {catalog_path}
start: 2025-03-03T00:00:00Z
duration: 1d
customers: 10
faults:
  - {{id: a, component: ledger, kind: down, at: 1h, duration: 1h, severity: high}}
"""
    with pytest.raises(ConfigError) as caught:
        make_scenario(text)
    problem = caught.value.problems[0]
    assert problem.line == 7
    assert "unknown key 'severity'" in problem.message
    assert problem.file.endswith("scenario.yaml")


def test_faults_are_checked_against_the_catalog(
    make_scenario: Callable[[str], Scenario], catalog_path: Path
) -> None:
    text = f"""name: x
catalog: {catalog_path}
start: 2025-03-03T00:00:00Z
duration: 1d
customers: 10
faults:
  - {{id: a, component: no-such-thing, kind: down, at: 1h, duration: 1h}}
  - {{id: b, component: ledger, kind: batch_failure, at: 1h, duration: 1h}}
"""
    with pytest.raises(ConfigError) as caught:
        make_scenario(text)
    messages = [(p.line, p.message) for p in caught.value.problems]
    assert (7, "unknown component 'no-such-thing'") in messages
    assert any(line == 8 and "not a batch-job" in msg for line, msg in messages)


def test_parameters_must_fit_the_fault_kind(
    make_scenario: Callable[[str], Scenario], catalog_path: Path
) -> None:
    text = f"""name: x
catalog: {catalog_path}
start: 2025-03-03T00:00:00Z
duration: 1d
customers: 10
faults:
  - {{id: a, component: ledger, kind: error_ratio, at: 1h, duration: 1h}}
"""
    with pytest.raises(ConfigError, match="error_ratio faults need error_ratio"):
        make_scenario(text)
