"""Counters without a customers series: how many customers the attempts stand for.

A fake ``MetricsSource`` (our own seam) plays a touchpoint on which 100
customers each tried three times and failed, with a past week (or none)
of healthy traffic: exactly what retries do to failed-attempt counts.
The small simulated world checks the same against known truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.catalog import load_catalog
from monitor.domain import EstimatorSpec, Touchpoint
from monitor.impact import RangeSeries, Sources, Window, estimate_touchpoint
from monitor.impact.customers import Hints
from monitor.impact.traffic import estimate_traffic
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)
START = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(minutes=10))
ATTEMPTS = "sum(rate(req_total[5m]))"
FAILURES = 'sum(rate(req_total{outcome!="success"}[5m]))'


@dataclass
class Counters:
    """Constant per-second rates per query in the window; ``history`` rates before it."""

    now: Mapping[str, float]
    history: Mapping[str, float] | None = None

    def instant(self, query: str, *, at: datetime) -> list[float]:
        raise AssertionError("the traffic estimator reads ranges only")

    def range(
        self, query: str, *, start: datetime, end: datetime, step_seconds: float
    ) -> list[RangeSeries]:
        rates = self.now if start >= WINDOW.start - timedelta(hours=1) else self.history
        if rates is None or query not in rates:
            return []
        t, points = start.timestamp(), {}
        while t <= end.timestamp():
            points[t] = rates[query]
            t += step_seconds
        return [RangeSeries(labels={}, points=points)]


# 100 customers × 3 attempts, every one failing, over 600 s.
OUTAGE = {ATTEMPTS: 300 / 600, FAILURES: 300 / 600}
HEALTHY = {ATTEMPTS: 100 / 600, FAILURES: 0.0}


def _traffic(params: Mapping[str, float] | None = None) -> EstimatorSpec:
    return EstimatorSpec(
        "prometheus_traffic",
        queries={"attempts": ATTEMPTS, "failures": FAILURES},
        params=dict(params or {}),
    )


def test_without_customers_or_history_retries_are_assumed_and_the_interval_says_so() -> None:
    result = estimate_traffic(_traffic(), window=WINDOW, metrics=Counters(OUTAGE), live=False)
    assert result.affected is not None
    # 300 failed attempts are not 300 customers: retries are assumed, the interval spans them.
    assert result.affected.low <= 100 <= result.affected.high
    assert result.affected.value < 300
    assert result.affected.high >= 300
    notes = " ".join(result.quality)
    assert "attempts per failed customer" in notes
    assert "assumed" in notes


@pytest.mark.parametrize(
    ("params", "hints", "source"),
    [
        ({"retries_per_failed_customer": 2}, Hints(), "declared in the catalog"),
        ({}, Hints(attempts_per_failed_customer=3.0), "measured in this window's"),
    ],
)
def test_a_declared_or_measured_retry_count_turns_failed_attempts_into_customers(
    params: Mapping[str, float], hints: Hints, source: str
) -> None:
    result = estimate_traffic(
        _traffic(params), window=WINDOW, metrics=Counters(OUTAGE), live=False, hints=hints
    )
    assert result.affected is not None
    assert result.affected.value == pytest.approx(100, rel=0.01)
    assert result.affected.low <= 100 <= result.affected.high
    assert result.affected.high < 200
    assert any(source in q for q in result.quality)


def test_with_history_customers_come_from_past_weeks_attempts_not_from_retries() -> None:
    counters = Counters(OUTAGE, history=HEALTHY)
    assumed = estimate_traffic(_traffic(), window=WINDOW, metrics=counters, live=False)
    measured = estimate_traffic(
        _traffic(),
        window=WINDOW,
        metrics=counters,
        live=False,
        hints=Hints(customers_per_attempt=1.0),
    )
    for result in (assumed, measured):
        assert result.affected is not None
        assert result.affected.value == pytest.approx(100, rel=0.05)
        assert result.affected.low <= 100 <= result.affected.high
    assert assumed.affected is not None
    assert measured.affected is not None
    # an assumed ratio widens the interval; a measured one does not
    assert assumed.affected.low < measured.affected.low
    assert any("customers per attempt 1.00, 0.80–1.00 (assumed" in q for q in assumed.quality)
    assert any("measured in past weeks' operational records" in q for q in measured.quality)
    assert measured.distinct
    assert not assumed.distinct


def test_failures_query_returning_nothing_is_not_read_as_zero_failures() -> None:
    silent = {ATTEMPTS: OUTAGE[ATTEMPTS]}
    never = {ATTEMPTS: HEALTHY[ATTEMPTS]}  # the failures query never answered
    with_history = estimate_traffic(
        _traffic(), window=WINDOW, metrics=Counters(silent, history=never), live=False
    )
    assert with_history.affected is not None
    # the counters cannot tell who failed: the interval reaches every customer who came
    assert with_history.affected.low == 0
    assert with_history.affected.high >= 100
    assert with_history.affected.value > 0  # attempts above the baseline: customers retrying
    notes = [q for q in with_history.quality if "query returned nothing" in q]
    assert notes
    assert FAILURES in notes[0]
    assert "not counted" in notes[0]

    without_history = estimate_traffic(
        _traffic(), window=WINDOW, metrics=Counters(silent), live=False
    )
    assert without_history.affected is None
    assert not without_history.usable


def test_failures_query_silent_now_but_answering_in_past_weeks_means_no_failures() -> None:
    quiet = {ATTEMPTS: HEALTHY[ATTEMPTS]}
    result = estimate_traffic(
        _traffic(), window=WINDOW, metrics=Counters(quiet, history=HEALTHY), live=False
    )
    assert result.affected is not None
    assert result.affected.value == 0
    assert result.affected.high < 10
    assert any("read as no failed requests" in q for q in result.quality)


def _only(touchpoint: str, *specs: EstimatorSpec) -> Touchpoint:
    return replace(CATALOG.touchpoints[touchpoint], estimators=specs)


def test_silent_failures_without_history_fall_back_to_the_topology_share() -> None:
    silent = Counters({ATTEMPTS: OUTAGE[ATTEMPTS]})
    spec = EstimatorSpec(
        "prometheus_traffic",
        queries={"attempts": ATTEMPTS, "failures": FAILURES},
        params={"customers_per_hour": 600},
    )
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=_only("card-payments", spec),
        window=WINDOW,
        sources=Sources(metrics=silent),
        failed_components=("card-auth",),
    )
    affected = impact.estimate.affected_customers
    assert affected is not None
    assert affected.estimate == 100
    assert [m.split(":")[0] for m in impact.estimate.methods] == ["topology_share"]
    assert any(FAILURES in q and "not counted" in q for q in impact.estimate.quality)
    assert any("not listed for this touchpoint" in q for q in impact.estimate.quality)


def test_a_touchpoint_without_customers_series_still_brackets_the_truth(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("card-auth-down")
    tp = CATALOG.touchpoints["card-payments"]
    records, traffic = tp.estimators[0], tp.estimators[1]
    no_series = EstimatorSpec(
        "prometheus_traffic",
        queries={k: v for k, v in traffic.queries.items() if k != "customers"},
        params=traffic.params,
    )
    truth = world.affected("card-auth-down", "card-payments")
    failed = world.truth["incidents"]["card-auth-down"]["card-payments"]["failed_interactions"]
    assert failed > 2 * truth  # customers retried: attempts overstate them
    for specs, source in (((no_series,), "assumed"), ((records, no_series), "measured")):
        impact = estimate_touchpoint(
            CATALOG, touchpoint=_only("card-payments", *specs), window=Window(start, end),
            sources=sources,
        )  # fmt: skip
        affected = impact.estimate.affected_customers
        assert affected is not None
        assert affected.low <= truth <= affected.high, (source, affected)
        assert abs(affected.estimate - truth) <= 0.25 * truth, (source, affected)
        assert any("customers per attempt" in q and source in q for q in impact.estimate.quality)
