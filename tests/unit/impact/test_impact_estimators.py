"""The estimators against a small simulated world whose truth is known.

Metrics come from the simulator's embedded query API (Prometheus's HTTP API
over the simulated series), records from the world's operational database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.catalog import load_catalog
from monitor.domain import EstimatorSpec, Touchpoint
from monitor.impact import Sources, Window, estimate_touchpoint, estimate_touchpoints
from monitor.impact.ports import QueryError
from monitor.sources import PrometheusMetrics, SqlOperationalData
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)


def test_card_outage_estimate_brackets_the_true_affected_customers(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("card-auth-down")
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=CATALOG.touchpoints["card-payments"],
        window=Window(start, end),
        sources=sources,
    )
    truth = world.affected("card-auth-down", "card-payments")
    affected = impact.estimate.affected_customers
    assert affected.low <= truth <= affected.high
    assert abs(affected.estimate - truth) <= 0.2 * truth
    assert affected.level == 0.9
    failed = world.truth["incidents"]["card-auth-down"]["card-payments"]["failed_interactions"]
    assert (
        impact.estimate.failed_interactions.low
        <= failed
        <= impact.estimate.failed_interactions.high
    )
    assert any(m.startswith("prometheus_traffic:") for m in impact.estimate.methods)


def test_partial_errors_are_bracketed_from_counters_alone(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("login-errors")
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=CATALOG.touchpoints["mobile-login"],
        window=Window(start, end),
        sources=sources,
    )
    truth = world.affected("login-errors", "mobile-login")
    affected = impact.estimate.affected_customers
    assert affected.low <= truth <= affected.high


def test_a_quiet_day_gives_zero_within_every_interval(world: SmallWorld, sources: Sources) -> None:
    start, end = world.fault("card-auth-down")
    window = Window(start - timedelta(days=1), end - timedelta(days=1))
    for impact in estimate_touchpoints(CATALOG, window=window, sources=sources):
        affected = impact.estimate.affected_customers
        assert affected.low == 0, impact.estimate
        assert affected.estimate <= max(3, 0.02 * affected.high), impact.estimate
        assert impact.estimate.quality, "a zero must say how it was reached"


def test_live_estimate_reports_so_far_and_projection(world: SmallWorld, sources: Sources) -> None:
    start, _ = world.fault("card-auth-down")
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=CATALOG.touchpoints["card-payments"],
        window=Window(start, start + timedelta(minutes=5)),
        sources=sources,
        live=True,
    )
    assert 0 < impact.affected_so_far.estimate <= impact.estimate.affected_customers.estimate


def _only(touchpoint: str, *specs: EstimatorSpec) -> Touchpoint:
    return replace(CATALOG.touchpoints[touchpoint], estimators=specs)


TOPOLOGY = EstimatorSpec(
    "topology_share",
    queries={"customers": 'sum(touchpoint_active_customers{touchpoint="card-payments"})'},
)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        ('sum(rate(no_such_metric{touchpoint="card-payments"}[5m]))', "query returned nothing"),
        (
            'sum by (outcome) (rate(touchpoint_requests_total{touchpoint="card-payments"}[5m]))',
            "series where one was expected",
        ),
        ("sum(rate(touchpoint_requests_total[5m]", "query failed"),
    ],
)
def test_a_bad_query_is_reported_with_its_text_and_a_fallback_is_used(
    world: SmallWorld, sources: Sources, attempts: str, expected: str
) -> None:
    start, end = world.fault("card-auth-down")
    spec = EstimatorSpec("prometheus_traffic", queries={"attempts": attempts})
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=_only("card-payments", spec, TOPOLOGY),
        window=Window(start, end),
        sources=sources,
        failed_components=("card-auth",),
    )
    notes = [q for q in impact.estimate.quality if expected in q]
    assert notes
    assert attempts in notes[0]
    assert [m.split(":")[0] for m in impact.estimate.methods] == ["topology_share"]
    assert impact.estimate.affected_customers.estimate > 0


def test_unreachable_prometheus_is_a_quality_note_not_a_silent_zero(world: SmallWorld) -> None:
    start, end = world.fault("card-auth-down")
    sources = Sources(
        metrics=PrometheusMetrics("http://127.0.0.1:9", timeout_seconds=1),
        operational=SqlOperationalData.from_url(world.opdb_url),
    )
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=CATALOG.touchpoints["mobile-login"],
        window=Window(start, end),
        sources=sources,
    )
    assert any("Prometheus unreachable" in q for q in impact.estimate.quality)
    assert any("no method could estimate" in q for q in impact.estimate.quality)


def test_operational_records_count_customers_who_failed(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("login-errors")
    only_sql = _only("transfers", CATALOG.touchpoints["transfers"].estimators[0])
    impact = estimate_touchpoint(
        CATALOG, touchpoint=only_sql, window=Window(start, end), sources=sources
    )
    truth = world.affected("login-errors", "transfers")
    affected = impact.estimate.affected_customers
    assert affected.low <= truth <= affected.high


def test_operational_statements_cannot_write_and_report_sql_errors(world: SmallWorld) -> None:
    data = SqlOperationalData.from_url(world.opdb_url)
    with pytest.raises(QueryError):
        data.rows("DELETE FROM customers", {})
    with pytest.raises(QueryError):
        data.scalar("SELECT COUNT(*) FROM no_such_table WHERE x >= :start", {"start": 1})
    assert data.scalar("SELECT COUNT(*) FROM customers", {}) == 3000
