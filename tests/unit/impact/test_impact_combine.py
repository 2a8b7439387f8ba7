"""Combining the methods' answers: records that lag the counters, and what the counters prove.

Early in an incident (or when the failure is lost before the recording
service) the operational records can hold fewer failures than Prometheus
counted. The records are the most trusted method, but they must not pull the
combined interval below what the counters show; complete records must still
win, and a quiet window must still contain zero.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain import Interval
from monitor.impact.estimate import combine
from monitor.impact.ports import Window
from monitor.impact.result import MethodResult
from monitor.impact.stats import Quantity

WINDOW = Window(datetime(2025, 3, 3, 4, 31, tzinfo=UTC), datetime(2025, 3, 3, 4, 33, tzinfo=UTC))


def _records(
    *,
    failed_customers: float,
    failed_records: float | None,
    unrecorded_high: float | None = 6.0,
) -> MethodResult:
    """``operational_sql`` as it answers: exact recorded customers, plus the unrecorded term.

    ``unrecorded_high`` None means no past week to compare with: the records
    then only give a lower bound (no ``affected``).
    """
    affected = None
    if unrecorded_high is not None:
        affected = Quantity.exact(failed_customers).plus(Quantity(0.0, 0.0, unrecorded_high))
    return MethodResult(
        "operational_sql",
        affected=affected,
        affected_so_far=affected,
        floor=failed_customers,
        recorded_failures=failed_records,
        distinct=True,
    )


def _counters(*, affected: Quantity, failed: float) -> MethodResult:
    """``prometheus_traffic`` with a customers series (already distinct customers)."""
    return MethodResult(
        "prometheus_traffic",
        affected=affected,
        affected_so_far=affected,
        failed=Quantity.counted(failed),
        distinct=True,
    )


def _affected(*results: MethodResult) -> Interval:
    found = combine("card-payments", window=WINDOW, results=results).estimate.affected_customers
    assert found is not None
    return found


def test_lagging_records_do_not_pull_the_lower_bound_below_the_counters() -> None:
    # The whole-chain run: no failed record yet (and no past week for the records), while the
    # counters saw 3 customers fail 11 times. Poisson's low bound of 3 is 0.82, which rounds
    # down to 0; but 11 counted failures (90% low bound 6) mean someone was affected.
    counters = _counters(affected=Quantity.counted(3), failed=11)
    records = _records(failed_customers=0, failed_records=0, unrecorded_high=None)

    found = _affected(records, counters)

    assert found.low >= 1
    assert found.low <= found.estimate == 3 <= found.high


def test_complete_records_that_lag_at_small_counts_keep_a_positive_lower_bound() -> None:
    # Records with a baseline say 0 [0, 6]; they hold no failed interaction where the
    # counters surely counted some, so they are only a floor under the counters.
    counters = _counters(affected=Quantity.counted(2), failed=7)
    records = _records(failed_customers=0, failed_records=0)

    found = _affected(records, counters)

    assert found.estimate == 2
    assert 1 <= found.low <= found.estimate


def test_records_that_cannot_count_failed_interactions_are_still_checked_against_the_counters() -> (
    None
):
    # The failed_interactions statement failed (or is not in the catalog): the records'
    # customers are compared with the counters' lower bound on affected customers instead.
    counters = _counters(affected=Quantity(40.0, 31.0, 51.0), failed=120)
    records = _records(failed_customers=2, failed_records=None)

    combined = combine("card-payments", window=WINDOW, results=[records, counters])
    found = combined.estimate.affected_customers

    assert found is not None
    assert found.estimate == 40
    assert found.low == 31
    assert any("used as a lower bound only" in q for q in combined.estimate.quality)


def test_demoted_records_do_not_give_the_failed_interactions_either() -> None:
    # A touchpoint whose catalog declares every failure recorded (no customers statement):
    # the records then also answer failed interactions exactly, and lag the same way.
    records = MethodResult(
        "operational_sql",
        affected=Quantity.exact(1),
        affected_so_far=Quantity.exact(1),
        failed=Quantity.exact(2),
        floor=1,
        recorded_failures=2,
        distinct=True,
    )
    counters = _counters(affected=Quantity.counted(12), failed=40)

    estimate = combine("check-in", window=WINDOW, results=[records, counters]).estimate

    assert estimate.failed_interactions is not None
    assert estimate.failed_interactions.estimate == 40
    assert estimate.failed_interactions.low > 2
    assert estimate.affected_customers is not None
    assert estimate.affected_customers.estimate == 12


def test_complete_records_still_win_over_the_counters() -> None:
    counters = _counters(affected=Quantity.counted(131), failed=298)
    records = _records(failed_customers=120, failed_records=301, unrecorded_high=12.0)

    found = _affected(records, counters)

    assert (found.estimate, found.low) == (120, 120)
    assert found.high <= 132


def test_a_quiet_window_still_contains_zero() -> None:
    counters = _counters(affected=Quantity.counted(0), failed=0)
    records = _records(failed_customers=0, failed_records=0)

    found = _affected(records, counters)

    assert (found.estimate, found.low) == (0, 0)


def test_a_single_counted_failure_does_not_prove_an_affected_customer() -> None:
    # One failed request counted: its 90% interval still holds zero (it could be the rate's
    # extrapolation of a request at the window's edge), so the lower bound may stay 0.
    counters = _counters(affected=Quantity.counted(1), failed=1)
    records = _records(failed_customers=0, failed_records=0, unrecorded_high=None)

    found = _affected(records, counters)

    assert found.low == 0
    assert found.estimate == 1


def test_live_figures_so_far_are_raised_like_the_projection() -> None:
    so_far = Quantity.counted(3)
    counters = MethodResult(
        "prometheus_traffic",
        affected=so_far.plus(Quantity.counted(2)),
        affected_so_far=so_far,
        failed=Quantity.counted(9),
        distinct=True,
    )
    records = _records(failed_customers=0, failed_records=0)

    impact = combine(
        "card-payments",
        window=Window(WINDOW.start, WINDOW.start + timedelta(minutes=5)),
        results=[records, counters],
    )

    assert impact.affected_so_far is not None
    assert impact.affected_so_far.low >= 1
    assert impact.estimate.affected_customers is not None
    assert impact.estimate.affected_customers.low >= 1
