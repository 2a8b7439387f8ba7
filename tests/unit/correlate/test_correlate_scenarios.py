"""Realistic failures on the Northwind example catalog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from correlate_builders import AT, example_catalog, firing, resolved

from monitor.correlate import CorrelationResult, correlate
from monitor.domain import Alert, ComponentHealth, MaintenanceWindow, TouchpointState

CATALOG = example_catalog()
MAJOR = TouchpointState.MAJOR_OUTAGE
PARTIAL = TouchpointState.PARTIAL_OUTAGE
SLOW = TouchpointState.DEGRADED_PERFORMANCE
MAINT = TouchpointState.UNDER_MAINTENANCE

PRIMARY_DOWN = firing(
    "pg-primary", alertname="PostgresDown", service="postgres", role="primary", severity="critical"
)
REPLICA_1_DOWN = firing(
    "pg-r1", alertname="PostgresDown", service="postgres", instance="db-replica-eu-1:9187",
    severity="critical",
)  # fmt: skip
REPLICA_2_DOWN = firing(
    "pg-r2", alertname="PostgresDown", service="postgres", instance="db-replica-eu-2:9187",
    severity="critical",
)  # fmt: skip
GATEWAY_DOWN = firing(
    "cardnet", alertname="CardNetworkUnreachable", service="card-network-gateway", severity="page"
)
IDP_DOWN = firing("idp", alertname="IdpLoginErrors", service="idp", severity="critical")


def run(*alerts: Alert, maintenance: tuple[MaintenanceWindow, ...] = ()) -> CorrelationResult:
    return correlate(alerts, CATALOG, maintenance=maintenance, at=AT)


def states(result: CorrelationResult) -> dict[str, TouchpointState]:
    return {t: i.state for t, i in result.touchpoints.items()}


def test_primary_database_down_takes_every_touchpoint_down_with_paths() -> None:
    result = run(PRIMARY_DOWN)
    assert states(result) == dict.fromkeys(CATALOG.touchpoints, MAJOR)
    assert result.touchpoints["card-payments"].explanation == (
        "card-payments ← card-auth ← db-primary-eu (alert PostgresDown)",
    )
    assert result.touchpoints["mobile-login"].explanation == (
        "mobile-login ← idp ← db-primary-eu (alert PostgresDown)",
    )
    assert result.touchpoints["check-in"].roots == {"db-primary-eu"}
    assert result.touchpoints["check-in"].alerts == {"pg-primary"}
    assert result.root_cause_hint == "db-primary-eu"


def test_one_replica_down_keeps_the_replica_group_and_every_touchpoint_up() -> None:
    result = run(REPLICA_1_DOWN)
    assert result.touchpoints == {}
    assert result.health == {"db-replica-eu-1": ComponentHealth.DOWN}
    assert result.root_cause_hint is None


def test_both_replicas_down_degrades_card_payments_through_soft_fraud_scoring() -> None:
    result = run(REPLICA_1_DOWN, REPLICA_2_DOWN)
    assert result.health_of("db-replicas") is ComponentHealth.DOWN
    assert result.health_of("fraud-scoring") is ComponentHealth.DOWN
    assert result.health_of("card-auth") is ComponentHealth.DEGRADED
    assert states(result) == {"card-payments": SLOW, "flight-booking": SLOW}
    lines = result.touchpoints["card-payments"].explanation
    assert lines == (
        "card-payments ← card-auth ← fraud-scoring ← db-replicas ← db-replica-eu-1 "
        "(alert PostgresDown)",
        "card-payments ← card-auth ← fraud-scoring ← db-replicas ← db-replica-eu-2 "
        "(alert PostgresDown)",
    )


def test_broker_quorum_degrades_with_one_lost_and_one_slow_member() -> None:
    one_down = firing(
        "mq1", alertname="RabbitDown", service="rabbitmq", instance="mq-1:15692", severity="error"
    )
    slow = firing(
        "mq2", alertname="RabbitSlow", service="rabbitmq", instance="mq-2", severity="warning"
    )
    assert run(one_down).health_of("mq-brokers") is ComponentHealth.UP
    result = run(one_down, slow)
    assert result.health_of("mq-brokers") is ComponentHealth.DEGRADED
    assert result.state_of("overdraft-notifications") is SLOW


def test_eu_west_partition_takes_west_dependent_touchpoints_down_and_keeps_spanning_groups_up() -> (
    None
):
    result = run(
        firing("net", alertname="CoreNetworkDown", service="core-network", region="eu-west",
               severity="critical"),
    )  # fmt: skip
    for group in ("api-gateways", "db-replicas"):
        assert result.health_of(group) is ComponentHealth.UP
    assert result.health_of("mq-brokers") is ComponentHealth.DOWN  # two of three brokers are west
    assert result.health_of("api-gateway-eu-central") is ComponentHealth.UP
    assert states(result) == dict.fromkeys(CATALOG.touchpoints, MAJOR)
    assert result.root_cause_hint == "net-eu-west"
    assert result.touchpoints["transfers"].explanation == (
        "transfers ← transfers-svc ← ledger ← db-primary-eu ← net-eu-west (alert CoreNetworkDown)",
    )


def test_eu_central_partition_costs_redundancy_but_no_touchpoint() -> None:
    result = run(
        firing(
            "reg", alertname="RegionDown", scope="region", region="eu-central", severity="critical"
        )
    )
    assert result.touchpoints == {}
    assert {n for n, h in result.health.items() if h is ComponentHealth.DOWN} == {
        "region-eu-central",
        "net-eu-central",
        "api-gateway-eu-central",
        "db-replica-eu-2",
        "mq-broker-3",
    }


def test_card_network_gateway_outage_hits_card_payments_and_bookings_only() -> None:
    result = run(GATEWAY_DOWN)
    # booking-svc hard-depends on card-auth, so flight booking fails with card payments.
    assert states(result) == {"card-payments": MAJOR, "flight-booking": MAJOR}
    assert result.touchpoints["card-payments"].explanation == (
        "card-payments ← card-auth ← payment-network-gateway (alert CardNetworkUnreachable)",
    )
    assert result.root_cause_hint == "payment-network-gateway"


def test_identity_provider_failure_takes_down_everything_that_hard_depends_on_it() -> None:
    result = run(IDP_DOWN)
    untouched = {"card-payments", "overdraft-notifications"}
    assert states(result) == {t: MAJOR for t in CATALOG.touchpoints if t not in untouched}
    assert result.touchpoints["mobile-login"].explanation == (
        "mobile-login ← idp (alert IdpLoginErrors)",
    )
    assert result.root_cause_hint == "idp"


def test_soft_dependency_down_is_a_partial_outage() -> None:
    result = run(firing("n", alertname="NotifyDown", service="notifications", severity="critical"))
    assert states(result) == {
        "card-payments": PARTIAL,
        "flight-booking": PARTIAL,
        "overdraft-notifications": MAJOR,
    }


def test_independent_failures_have_no_common_root_cause() -> None:
    result = run(GATEWAY_DOWN, firing("dc", service="departure-control", severity="critical"))
    assert result.root_cause_hint is None
    assert result.root_cause_for(["card-payments", "flight-booking"]) == "payment-network-gateway"
    assert result.root_cause_for(["check-in", "boarding-passes"]) == "departure-control"


def test_info_alert_is_recorded_without_hurting_anything() -> None:
    result = run(firing("i", alertname="IdpSlowStart", service="idp", severity="info"))
    assert result.touchpoints == {}
    assert result.alert_components == {"i": frozenset({"idp"})}


def test_unknown_component_is_reported_but_does_not_spread() -> None:
    result = run(firing("u", alertname="ExporterStale", service="idp", impact="unknown"))
    assert result.health == {"idp": ComponentHealth.UNKNOWN}
    assert result.touchpoints == {}


def test_unmapped_alerts_are_kept_and_reported() -> None:
    stray = firing("stray", alertname="DiskFull", service="mystery", job="node")
    result = run(stray, PRIMARY_DOWN)
    assert result.unmapped == (stray,)
    assert "stray" not in result.alert_components


def test_resolved_alert_clears_its_impact() -> None:
    assert run(PRIMARY_DOWN, resolved(PRIMARY_DOWN)).touchpoints == {}


@pytest.mark.parametrize(
    "labels",
    [
        {},
        {"service": "x" * 10_000},
        {"service": "\udcff", "alertname": "\udcff"},
        {"alertname": "\x00\x07\x1b[2J", "instance": "db-primary-eu\n"},
        {"\udcff": "idp", "severity": "\udcff"},
        {"alertname": "A" * 10_000, "service": "idp", "severity": "critical"},
    ],
)
def test_odd_labels_never_crash_correlation(labels: dict[str, str]) -> None:
    result = run(firing("odd", **labels))
    if "service" in labels and labels["service"] == "idp":
        assert result.touchpoints["mobile-login"].explanation[0].endswith("…)")
    else:
        assert [a.fingerprint for a in result.unmapped] == ["odd"]


def window(
    *, components: tuple[str, ...] = (), touchpoints: tuple[str, ...] = (), **shift: int
) -> MaintenanceWindow:
    start = AT + timedelta(**shift) - timedelta(minutes=30)
    return MaintenanceWindow(
        id="mw-1",
        title="PostgreSQL minor upgrade",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        components=components,
        touchpoints=touchpoints,
    )


def test_alerts_under_maintenance_are_suppressed_and_touchpoints_under_maintenance() -> None:
    result = run(PRIMARY_DOWN, maintenance=(window(components=("db-primary-eu",)),))
    assert result.suppressed == (PRIMARY_DOWN,)
    assert result.health == {}
    assert states(result) == dict.fromkeys(CATALOG.touchpoints, MAINT)
    assert result.touchpoints["card-payments"].explanation == (
        "card-payments ← card-auth ← db-primary-eu (alert PostgresDown; under maintenance)",
    )
    assert result.root_cause_hint is None


def test_failure_outside_maintenance_still_shows_during_maintenance() -> None:
    result = run(PRIMARY_DOWN, GATEWAY_DOWN, maintenance=(window(components=("db-primary-eu",)),))
    assert result.state_of("card-payments") is MAJOR
    assert result.state_of("flight-booking") is MAJOR
    assert result.state_of("check-in") is MAINT
    assert result.touchpoints["card-payments"].roots == {"payment-network-gateway"}


def test_window_that_is_not_active_does_not_suppress() -> None:
    result = run(PRIMARY_DOWN, maintenance=(window(components=("db-primary-eu",), hours=3),))
    assert result.suppressed == ()
    assert result.state_of("card-payments") is MAJOR


def test_touchpoint_named_by_a_window_is_under_maintenance_without_alerts() -> None:
    result = run(maintenance=(window(touchpoints=("payslips",)),))
    assert states(result) == {"payslips": MAINT}
    assert result.touchpoints["payslips"].explanation == (
        "payslips under maintenance (PostgreSQL minor upgrade)",
    )
