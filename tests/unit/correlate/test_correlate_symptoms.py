"""Alerts that name a touchpoint set its state directly, and explain themselves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.catalog import load_catalog
from monitor.correlate.correlate import correlate
from monitor.domain import Alert, AlertStatus, TouchpointState
from tests.conftest import EXAMPLE_CATALOG

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CATALOG = load_catalog(EXAMPLE_CATALOG)


def _alert(**labels: str) -> Alert:
    return Alert("00000000000000aa", "prometheus", AlertStatus.FIRING, labels, {}, NOW)


@pytest.mark.parametrize(
    ("severity", "state"),
    [
        ("critical", TouchpointState.MAJOR_OUTAGE),
        ("warning", TouchpointState.DEGRADED_PERFORMANCE),
    ],
)
def test_a_touchpoint_alert_sets_that_touchpoint_only(
    severity: str, state: TouchpointState
) -> None:
    alert = _alert(
        alertname="TouchpointFailureRatioHigh", touchpoint="transfers", severity=severity
    )
    result = correlate([alert], CATALOG, at=NOW)
    assert set(result.touchpoints) == {"transfers"}
    assert result.state_of("transfers") is state
    assert result.touchpoints["transfers"].explanation == (
        "transfers ← transfers.measured (alert TouchpointFailureRatioHigh)",
    )
    assert result.unmapped == ()


def test_an_unknown_touchpoint_label_is_unmapped() -> None:
    alert = _alert(
        alertname="TouchpointFailureRatioHigh", touchpoint="teleport", severity="critical"
    )
    result = correlate([alert], CATALOG, at=NOW)
    assert result.touchpoints == {}
    assert result.unmapped == (alert,)


def test_the_loaded_catalog_is_not_changed() -> None:
    correlate([_alert(touchpoint="transfers")], CATALOG, at=NOW)
    assert "transfers.measured" not in CATALOG.components
    assert len(CATALOG.components) == 40
