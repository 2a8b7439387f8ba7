"""Incremental correlation: what one alert changes, maintenance over time, explanation limits."""

from __future__ import annotations

from datetime import timedelta

from correlate_builders import (
    AT,
    catalog_of,
    component,
    example_catalog,
    firing,
    hard,
    resolved,
    touchpoint,
)

from monitor.correlate import TopologyState, TouchpointTransition, correlate
from monitor.domain import ComponentHealth, MaintenanceWindow, TouchpointState

CATALOG = example_catalog()
OK = TouchpointState.OPERATIONAL
MAJOR = TouchpointState.MAJOR_OUTAGE
MAINT = TouchpointState.UNDER_MAINTENANCE
GATEWAY_DOWN = firing(
    "cardnet", alertname="CardNetworkUnreachable", service="card-network-gateway", severity="page"
)


def test_apply_reports_touchpoint_transitions_and_impact() -> None:
    state = TopologyState(CATALOG, at=AT)
    change = state.apply(GATEWAY_DOWN)
    assert change.components == {"payment-network-gateway"}
    assert change.touchpoints == (
        TouchpointTransition("card-payments", OK, MAJOR),
        TouchpointTransition("flight-booking", OK, MAJOR),
    )
    assert change.impacted == {"card-payments", "flight-booking"}
    assert change.health["card-auth"] == (ComponentHealth.UP, ComponentHealth.DOWN)
    back = state.apply(resolved(GATEWAY_DOWN))
    assert [(t.touchpoint, t.after) for t in back.touchpoints] == [
        ("card-payments", OK),
        ("flight-booking", OK),
    ]
    assert back.impacted == frozenset()
    assert state.snapshot().touchpoints == {}


def test_second_alert_on_a_failing_component_changes_no_state_but_joins_the_explanation() -> None:
    state = TopologyState(CATALOG, at=AT)
    state.apply(GATEWAY_DOWN)
    again = firing("cardnet-2", alertname="CardNetworkTimeouts", service="card-network-gateway")
    change = state.apply(again)
    assert change.touchpoints == ()
    assert change.impacted == {"card-payments", "flight-booking"}
    assert state.snapshot().touchpoints["card-payments"].explanation == (
        "card-payments ← card-auth ← payment-network-gateway "
        "(alerts CardNetworkTimeouts, CardNetworkUnreachable)",
    )


def test_unmapped_and_info_alerts_change_nothing() -> None:
    state = TopologyState(CATALOG, at=AT)
    stray = state.apply(firing("stray", alertname="DiskFull", job="node"))
    assert stray.unmapped
    assert (stray.touchpoints, stray.impacted) == ((), frozenset())
    info = state.apply(firing("info", alertname="Deploy", service="idp", severity="info"))
    assert not info.unmapped
    assert (info.touchpoints, info.impacted, info.health) == ((), frozenset(), {})
    assert [a.fingerprint for a in state.snapshot().unmapped] == ["stray"]


def test_upsert_with_a_milder_severity_improves_the_touchpoint() -> None:
    state = TopologyState(CATALOG, at=AT)
    state.apply(firing("idp", alertname="IdpErrors", service="idp", severity="critical"))
    change = state.apply(firing("idp", alertname="IdpErrors", service="idp", severity="warning"))
    after = {t.touchpoint: t.after for t in change.touchpoints}
    assert after["mobile-login"] is TouchpointState.DEGRADED_PERFORMANCE
    assert len(state.alerts()) == 1


def test_advancing_into_a_maintenance_window_suppresses_and_back_out_restores() -> None:
    window = MaintenanceWindow(
        id="mw",
        title="card network provider work",
        starts_at=AT + timedelta(hours=1),
        ends_at=AT + timedelta(hours=2),
        components=("payment-network-gateway",),
    )
    state = TopologyState(CATALOG, maintenance=[window], at=AT)
    state.apply(GATEWAY_DOWN)
    inside = state.advance(AT + timedelta(hours=1, minutes=5))
    assert {(t.touchpoint, t.before, t.after) for t in inside} == {
        ("card-payments", MAJOR, MAINT),
        ("flight-booking", MAJOR, MAINT),
    }
    assert state.advance(AT + timedelta(hours=1, minutes=10)) == ()
    assert state.snapshot() == correlate(
        [GATEWAY_DOWN], CATALOG, maintenance=[window], at=AT + timedelta(hours=1, minutes=10)
    )
    outside = state.advance(AT + timedelta(hours=2))
    assert {t.after for t in outside} == {MAJOR}


def test_explanation_is_capped_with_a_count_of_the_rest() -> None:
    parts = [component(f"svc-{i}") for i in range(8)]
    catalog = catalog_of(parts, [touchpoint("checkout", *(hard(p.id) for p in parts))])
    alerts = [firing(f"a{i}", alertname=f"Down{i}", service=f"svc-{i}") for i in range(8)]
    lines = correlate(alerts, catalog, at=AT).touchpoints["checkout"].explanation
    assert lines == (
        *(f"checkout ← svc-{i} (alert Down{i})" for i in range(5)),
        "+3 more",
    )
