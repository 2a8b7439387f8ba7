"""The spike test: a one-off is not a trend, an empty history is not a miracle."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from monitor.signals.spikes import (
    Span,
    SpikeParams,
    baseline_spans,
    evaluate_window,
    negbin_sf,
    scan_corrected,
)

NOW = datetime(2025, 3, 15, 12, 30, tzinfo=UTC)
PARAMS = SpikeParams()
WINDOW = Span(NOW - PARAMS.window, NOW)
LONG_AGO = NOW - timedelta(weeks=10)


def quiet_weeks(per_week: list[list[str]]) -> list[tuple[Span, list[str]]]:
    spans = baseline_spans(window_end=NOW, params=PARAMS, since=LONG_AGO)
    return list(zip(spans, per_week, strict=True))


def direct_sf(x: int, shape: float, p: float) -> float:
    total = 0.0
    for k in range(x):
        total += math.exp(
            math.lgamma(k + shape)
            - math.lgamma(shape)
            - math.lgamma(k + 1)
            + shape * math.log(p)
            + k * math.log1p(-p)
        )
    return 1.0 - total


@pytest.mark.parametrize(("x", "shape", "p"), [(1, 0.5, 0.9), (3, 2.0, 0.5), (12, 7.5, 0.6)])
def test_negative_binomial_tail_agrees_with_summing_the_pmf(x: int, shape: float, p: float) -> None:
    assert negbin_sf(x, shape=shape, p=p) == pytest.approx(direct_sf(x, shape, p), rel=1e-9)


def test_negative_binomial_tail_tends_to_poisson_with_a_certain_rate() -> None:
    # shape → ∞ with a fixed mean is a Poisson of that mean: P(X >= 4 | 1.5) = 0.0656
    shape = 1e6
    assert negbin_sf(4, shape=shape, p=shape / (shape + 1.5)) == pytest.approx(0.06564, abs=1e-4)


def test_one_angry_customer_writing_many_times_is_no_spike() -> None:
    test = evaluate_window(
        touchpoint="card-payments",
        window=WINDOW,
        window_keys=["customer-a"] * 8,
        baseline=quiet_weeks([[], [], [], []]),
        params=PARAMS,
    )
    assert test.observed == 1
    assert test.signals == 8
    assert not test.alarm


def test_four_customers_on_a_touchpoint_that_is_always_quiet_is_a_spike() -> None:
    test = evaluate_window(
        touchpoint="card-payments",
        window=WINDOW,
        window_keys=["a", "b", "c", "d"],
        baseline=quiet_weeks([[], [], [], []]),
        params=PARAMS,
    )
    assert test.alarm
    assert test.p_value < PARAMS.alpha
    evidence = test.evidence()
    assert evidence["observed_customers"] == 4
    assert evidence["baseline"] == {"customers": 0, "hours": 8.0, "weeks": 4}
    assert float(str(evidence["expected_customers"])) < 0.05


def test_three_customers_where_complaints_are_usual_is_no_spike() -> None:
    usual = [[f"w{w}c{i}" for i in range(6)] for w in range(4)]
    test = evaluate_window(
        touchpoint="card-payments",
        window=WINDOW,
        window_keys=["a", "b", "c"],
        baseline=quiet_weeks(usual),
        params=PARAMS,
    )
    assert test.expected == pytest.approx((0.2 + 24) * 0.5 / 10)
    assert not test.alarm


def test_without_history_more_customers_are_needed() -> None:
    def alarm(n: int) -> bool:
        keys = [f"c{i}" for i in range(n)]
        return evaluate_window(
            touchpoint="t", window=WINDOW, window_keys=keys, baseline=[], params=PARAMS
        ).alarm

    assert not alarm(7)
    assert alarm(8)


def test_baseline_spans_are_the_same_hours_of_past_weeks_since_collection_began() -> None:
    spans = baseline_spans(window_end=NOW, params=PARAMS, since=NOW - timedelta(days=15))
    assert [s.start for s in spans] == [
        NOW - timedelta(weeks=1, hours=1),
        NOW - timedelta(weeks=2, hours=1),
    ]
    assert all(s.hours == 2.0 for s in spans)


def test_day_to_day_swings_make_a_busy_window_less_surprising() -> None:
    usual = [[f"w{w}c{i}" for i in range(6)] for w in range(4)]
    keys = [f"k{i}" for i in range(7)]

    def p_value(overdispersion: float) -> float:
        params = SpikeParams(overdispersion=overdispersion)
        return evaluate_window(
            touchpoint="t",
            window=WINDOW,
            window_keys=keys,
            baseline=quiet_weeks(usual),
            params=params,
        ).p_value

    assert p_value(0.0) < 1e-3
    assert p_value(0.3) > 2 * p_value(0.0)


def test_a_busy_touchpoint_needs_the_count_to_beat_the_sliding_window_not_one_window() -> None:
    # a false alarm the fixed-window test raised on a 3-complaints-an-hour background
    # (bench.signals): 13 customers in 30 minutes against 26 in the same 8 hours of
    # four past weeks. One window that full is rare (p ~ 1e-6), but a window sliding
    # minute by minute over a busy day reaches it about once a month.
    usual = [[f"w{w}c{i}" for i in range(n)] for w, n in enumerate((7, 7, 5, 7))]

    def test(n: int) -> tuple[float, float, bool]:
        found = evaluate_window(
            touchpoint="card-payments",
            window=WINDOW,
            window_keys=[f"k{i}" for i in range(n)],
            baseline=quiet_weeks(usual),
            params=PARAMS,
        )
        return found.p_value, found.scan_p, found.alarm

    p_value, scan_p, alarm = test(13)
    assert p_value < PARAMS.alpha, "a fixed-window test would call this a spike"
    assert scan_p == pytest.approx(p_value * (1 + 13 - (0.2 + 26) * 0.5 / 10))
    assert not alarm
    assert test(15)[2]


def test_the_scan_correction_grows_with_the_distance_from_the_mean() -> None:
    assert scan_corrected(1e-6, observed=3, expected=0.05) == pytest.approx(3.95e-6)
    assert scan_corrected(1e-6, observed=13, expected=1.31) == pytest.approx(12.69e-6)
    assert scan_corrected(0.2, observed=1, expected=4.0) == 0.2
    assert scan_corrected(0.5, observed=30, expected=1.0) == 1.0


def test_the_evidence_shows_both_p_values() -> None:
    found = evaluate_window(
        touchpoint="card-payments",
        window=WINDOW,
        window_keys=["a", "b", "c", "d"],
        baseline=quiet_weeks([[], [], [], []]),
        params=PARAMS,
    )
    evidence = found.evidence()
    assert float(str(evidence["scan_p_value"])) > float(str(evidence["p_value"]))
    assert "scan-corrected" in str(evidence["test"])
