"""A component's own health from its alerts' severity and impact labels."""

from __future__ import annotations

import pytest
from correlate_builders import firing, resolved

from monitor.correlate.health import alert_health, own_health, worst
from monitor.domain import ComponentHealth

UP, UNKNOWN, DEGRADED, DOWN = (
    ComponentHealth.UP,
    ComponentHealth.UNKNOWN,
    ComponentHealth.DEGRADED,
    ComponentHealth.DOWN,
)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", DOWN),
        ("page", DOWN),
        ("error", DOWN),
        ("emergency", DOWN),
        ("disaster", DOWN),
        ("CRITICAL", DOWN),
        ("warning", DEGRADED),
        ("major", DEGRADED),
        ("minor", DEGRADED),
        ("high", DEGRADED),
        ("medium", DEGRADED),
        ("info", UP),
        ("none", UP),
        ("low", UP),
        ("", DEGRADED),
        ("bananas", DEGRADED),
    ],
)
def test_severity_word_sets_the_health_of_a_firing_alert(
    severity: str, expected: ComponentHealth
) -> None:
    assert alert_health(firing("f", severity=severity)) is expected


def test_alert_without_severity_label_degrades() -> None:
    assert alert_health(firing("f", alertname="X")) is DEGRADED


@pytest.mark.parametrize(
    ("impact", "expected"),
    [("down", DOWN), ("degraded", DEGRADED), ("none", UP), ("unknown", UNKNOWN)],
)
def test_impact_label_overrides_severity(impact: str, expected: ComponentHealth) -> None:
    assert alert_health(firing("f", severity="info", impact=impact)) is expected
    assert alert_health(firing("f", severity="critical", impact=impact)) is expected


def test_unrecognised_impact_falls_back_to_severity() -> None:
    assert alert_health(firing("f", severity="critical", impact="catastrophic")) is DOWN


def test_resolved_alerts_do_not_count() -> None:
    gone = resolved(firing("f", severity="critical"))
    assert alert_health(gone) is UP
    assert own_health([gone, firing("g", severity="warning")]) is DEGRADED


def test_worst_alert_wins() -> None:
    alerts = [firing("a", severity="info"), firing("b", severity="critical"), firing("c")]
    assert own_health(alerts) is DOWN
    assert own_health([]) is UP


def test_unknown_ranks_between_up_and_degraded() -> None:
    assert worst(UP, UNKNOWN) is UNKNOWN
    assert worst(UNKNOWN, DEGRADED) is DEGRADED
    assert worst() is UP
