"""Is this a spike? A test for low-count complaint streams, with its evidence.

Complaints about one touchpoint are rare: none for hours, then three within
ten minutes. The question is whether the current window holds more than the
same time of week usually does. The usual rate is learnt from the same hours
of the past weeks (``baseline_weeks`` weeks, ``baseline_halfwidth`` either side
of the same instant), which takes care of the daily and weekly rhythm.

The test is Poisson with the baseline's own uncertainty. The hourly rate gets
a Gamma prior worth ``prior_hours`` of observation at ``floor_per_hour`` (so an
empty history does not make one complaint a miracle), updated with the
baseline's count over its hours; real complaint rates also swing from one day
to the next, by a coefficient of variation ``overdispersion``. The number of
complaining customers in the window then follows a negative binomial with
the mean and variance of both, and ``p_value`` is its upper tail at the
observed count.

That p-value is the chance of the count in one fixed window. But the window
slides: it is tested every minute, so a quiet stream has many chances a day
to reach a high count, and the busier the stream the more (a count of
``k`` against a mean ``μ`` is crossed about ``k - μ`` times as often per window
length as a fixed window holds it: the scan statistic's first-order
correction, Naus 1982). A fixed ``alpha`` therefore gave busy streams more
false alarms than quiet ones (0.069 false spikes per touchpoint-week at 3
complaints an hour, 0.000 at 0.2; 320 touchpoint-weeks each). The alarm is
decided on the scan-corrected value ``scan_p = p_value · (1 + max(0, k - μ))``,
the chance that a window slid over one window length of time reaches ``k``.
A window alarms when

- ``scan_p`` is below ``alpha``, and
- at least ``min_customers`` different customers spoke.

The second condition is what tells one angry customer (who writes five times)
from the start of a trend: counts are of customers, not of messages; signals
without a customer reference count by their text. The false-alarm rate this
gives on quiet weeks is measured by ``python -m bench.signals`` (target: at
most 0.05 false spike episodes per touchpoint and week on every stream, about
one a month across ten touchpoints). With the defaults (``alpha`` 1e-5
evaluated every minute on 30-minute windows, ``overdispersion`` 0.4) it
measured 0.000 to 0.013 over backgrounds of 0.05 to 3 complaints an hour
(0.013 for the busiest), while the simulator's card-network outage was caught
7 to 14 minutes after the fault (median 8 at 0.05 an hour, 12 at 3). Survey
scores do not count (``store.repositories.signals``): they come hours late.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_HOUR = 3600.0


@dataclass(frozen=True)
class SpikeParams:
    """The test's knobs; the defaults are the documented ones."""

    window: timedelta = timedelta(minutes=30)
    baseline_weeks: int = 4
    baseline_halfwidth: timedelta = timedelta(hours=1)
    floor_per_hour: float = 0.1
    prior_hours: float = 2.0
    alpha: float = 1e-5
    min_customers: int = 3
    overdispersion: float = 0.4
    """Coefficient of variation of the rate from one day to the next, beyond Poisson."""

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.baseline_halfwidth <= timedelta(0):
            raise ValueError("spike windows must be positive")
        if self.baseline_weeks < 0 or self.min_customers < 1:
            raise ValueError("baseline_weeks must be >= 0 and min_customers >= 1")
        if self.overdispersion < 0:
            raise ValueError("overdispersion must be >= 0")
        if not 0 < self.alpha < 1 or self.floor_per_hour <= 0 or self.prior_hours <= 0:
            raise ValueError("alpha must be in (0, 1); floor and prior must be positive")


@dataclass(frozen=True)
class Span:
    """A half-open interval of time ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        """Its length in hours."""
        return (self.end - self.start).total_seconds() / _HOUR


@dataclass(frozen=True)
class SpikeTest:
    """One window of one touchpoint tested against its baseline: the evidence."""

    touchpoint: str
    window: Span
    observed: int
    """Different customers who spoke in the window."""
    signals: int
    """Signals in the window (one customer may send several)."""
    expected: float
    """Customers expected in a window like this one, from the baseline."""
    p_value: float
    """The chance of at least ``observed`` customers in this window, from the baseline."""
    scan_p: float
    """``p_value`` corrected for the window sliding minute by minute: what ``alpha`` bounds."""
    baseline_count: int
    baseline_hours: float
    baseline_weeks: int
    alarm: bool

    def evidence(self) -> dict[str, object]:
        """The evidence as plain JSON values (timeline events, API answers)."""
        return {
            "touchpoint": self.touchpoint,
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat()},
            "observed_customers": self.observed,
            "signals": self.signals,
            "expected_customers": round(self.expected, 4),
            "p_value": float(f"{self.p_value:.3g}"),
            "scan_p_value": float(f"{self.scan_p:.3g}"),
            "baseline": {
                "customers": self.baseline_count,
                "hours": round(self.baseline_hours, 2),
                "weeks": self.baseline_weeks,
            },
            "test": "poisson-gamma predictive upper tail, scan-corrected",
        }

    def describe(self, name: str) -> str:
        """One line for people: what was seen, what was expected, how unlikely."""
        minutes = int((self.window.end - self.window.start).total_seconds() // 60)
        return (
            f"{self.observed} customers ({self.signals} signals) reported problems with {name} "
            f"in {minutes} min; {self.expected:.2f} expected from the same hours of the past "
            f"{self.baseline_weeks} weeks (p = {self.scan_p:.2g})"
        )


def baseline_spans(*, window_end: datetime, params: SpikeParams, since: datetime) -> list[Span]:
    """The same hours in each past week, around ``window_end``, that start after ``since``."""
    spans = []
    for week in range(1, params.baseline_weeks + 1):
        centre = window_end - timedelta(weeks=week)
        span = Span(centre - params.baseline_halfwidth, centre + params.baseline_halfwidth)
        if span.start >= since:
            spans.append(span)
    return spans


def distinct(keys: Iterable[str]) -> int:
    """How many different senders (customer pseudonyms or text keys) are in ``keys``."""
    return len(set(keys))


def evaluate_window(
    *,
    touchpoint: str,
    window: Span,
    window_keys: Sequence[str],
    baseline: Sequence[tuple[Span, Sequence[str]]],
    params: SpikeParams,
) -> SpikeTest:
    """Test one window: its senders' keys against the keys seen in each baseline span."""
    observed = distinct(window_keys)
    count = sum(distinct(keys) for _span, keys in baseline)
    hours = sum(span.hours for span, _keys in baseline)
    shape = params.floor_per_hour * params.prior_hours + count
    rate = params.prior_hours + hours
    width = window.hours
    expected = shape * width / rate
    # The rate is uncertain (Gamma posterior, coefficient of variation 1/sqrt(shape))
    # and swings from day to day (``overdispersion``): a Gamma with the same mean and
    # the variance of both stands for them, so busy days are not taken for spikes.
    spread = (1 + 1 / shape) * (1 + params.overdispersion**2) - 1
    shape = 1 / spread
    p_value = negbin_sf(observed, shape=shape, p=shape / (shape + expected))
    scan_p = scan_corrected(p_value, observed=observed, expected=expected)
    return SpikeTest(
        touchpoint=touchpoint,
        window=window,
        observed=observed,
        signals=len(window_keys),
        expected=expected,
        p_value=p_value,
        scan_p=scan_p,
        baseline_count=count,
        baseline_hours=hours,
        baseline_weeks=len(baseline),
        alarm=observed >= params.min_customers and scan_p < params.alpha,
    )


def scan_corrected(p_value: float, *, observed: int, expected: float) -> float:
    """The chance that a window sliding over one window length reaches ``observed``.

    A sliding count first reaches ``k`` about ``(k - μ) · P(N >= k)`` times per
    window length (Naus's approximation of the scan statistic): counting the
    window's own chance once more bounds the sliding test's false alarms.
    """
    return min(1.0, p_value * (1.0 + max(0.0, observed - expected)))


def negbin_sf(x: int, *, shape: float, p: float) -> float:
    """P(X >= x) for X ~ NegBin(shape, p): P(X = k) = C(k + shape - 1, k) p^shape (1 - p)^k."""
    if x <= 0:
        return 1.0
    if not (shape > 0 and 0 < p <= 1):
        raise ValueError("negative binomial needs shape > 0 and 0 < p <= 1")
    if p == 1.0:
        return 0.0
    mean = shape * (1 - p) / p
    log_q = math.log1p(-p)
    log_pmf = shape * math.log(p)  # k = 0
    if x <= mean:
        below = 0.0
        for k in range(x):
            below += math.exp(log_pmf)
            log_pmf += math.log((k + shape) / (k + 1)) + log_q
        return min(1.0, max(0.0, 1.0 - below))
    log_pmf = (
        math.lgamma(x + shape)
        - math.lgamma(shape)
        - math.lgamma(x + 1)
        + shape * math.log(p)
        + x * log_q
    )
    total, k = 0.0, x
    while True:
        term = math.exp(log_pmf)
        total += term
        if term <= total * 1e-15 or term == 0.0:
            return min(1.0, total)
        log_pmf += math.log((k + shape) / (k + 1)) + log_q
        k += 1
