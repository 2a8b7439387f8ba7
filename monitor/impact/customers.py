"""How many customers started an interaction in each tile, for the traffic counterfactual.

Counters count attempts; a customer whose attempt fails retries, so failed
attempts overstate the customers behind them. The traffic estimator needs,
per tile, the customers who started (N). In order of preference:

1. the service's own customers series in the window (measured);
2. the same series in the same tiles of past weeks (the window's own
   points missing): customers do not stop arriving because a service fails;
3. the attempts of the same tiles in past weeks times *customers per
   attempt*: measured in the operational records of past weeks (distinct
   customers per recorded interaction), else declared in the catalog
   (``customers_per_attempt``), else assumed: at most one (every
   interaction is at least one attempt), at least ``ASSUMED_PER_ATTEMPT``;
4. without any history: the successes plus the failed attempts divided by
   the *attempts per failed customer* (one plus their retries): measured in
   this window's records, else declared (``retries_per_failed_customer``),
   else assumed between one and ``ASSUMED_ATTEMPTS_PER_FAILED[2]``.

A ratio that is assumed (or declared) rather than measured widens the
interval: the estimator is run at both ends of its range. The source of each
ratio is written in ``quality``. Nothing here reads a simulator's truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from monitor.domain import EstimatorSpec
from monitor.impact.ports import MetricsSource, Window
from monitor.impact.stats import Baseline, weekly_baseline
from monitor.impact.tiles import Grid, SeriesProblem, fetch_tiles, past_weeks

DEFAULT_CUSTOMERS_WINDOW_MINUTES = 15.0
ASSUMED_PER_ATTEMPT = 0.8
"""Lowest customers per healthy attempt assumed when nothing tells (background retries, polling)."""
ASSUMED_ATTEMPTS_PER_FAILED = (1.0, 2.0, 4.0)
"""Attempts per failed customer assumed when nothing tells: (low, point, high)."""
DECLARED_SPREAD = 0.1
"""Relative range given to a ratio the catalog declares: an owner's figure, not a measurement."""

ASSUMED = "assumed: no customers series, no records, none declared"
LOW, POINT, HIGH = -1, 0, 1
Side = int
"""Which end of the affected interval a reading is for: LOW, POINT or HIGH."""


@dataclass(frozen=True)
class Hints:
    """What the operational records measured that counters cannot (None: not measured)."""

    customers_per_attempt: float | None = None
    """Distinct customers per recorded interaction in past weeks' same window."""
    attempts_per_failed_customer: float | None = None
    """Failed records per customer with a failed record, in this window."""


@dataclass(frozen=True)
class Ratio:
    """A conversion factor, the range it may lie in, and where it came from."""

    value: float
    low: float
    high: float
    source: str
    measured: bool

    def at(self, side: Side) -> float:
        """The factor at one end of its range (or its point value)."""
        return self.low if side == LOW else self.high if side == HIGH else self.value

    def describe(self, name: str) -> str:
        """``customers per attempt 0.95 (…)`` for the quality notes."""
        span = "" if self.low == self.high else f", {self.low:.2f}–{self.high:.2f}"
        return f"{name} {self.value:.2f}{span} ({self.source})"


@dataclass(frozen=True)
class Customers:
    """Customers starting interactions per coarse tile: observed, expected, or derived."""

    grid: Grid
    observed: list[float | None] | None
    expected: list[float] | None
    """Per tile, the median of past weeks' customers series."""
    baseline: Baseline | None
    """The customers series summed over the window, in past weeks."""
    attempts_expected: list[float] | None
    """Per tile, the median of past weeks' attempts."""
    per_attempt: Ratio
    per_failed: Ratio
    """Attempts per failed customer; used only without any history."""

    @property
    def from_series(self) -> bool:
        """True when a customers series (now or in past weeks) gives the counts."""
        return self.observed is not None or self.expected is not None

    @property
    def distinct(self) -> bool:
        """True when the counts are distinct customers already (the ratio said so)."""
        return (
            not self.from_series
            and self.attempts_expected is not None
            and self.per_attempt.source != ASSUMED
        )

    @property
    def source(self) -> str:
        """Where the customer counts come from, for the inputs line."""
        if self.observed is not None:
            return "customers series"
        if self.expected is not None:
            return "customers series of past weeks"
        if self.attempts_expected is not None:
            return "past weeks' attempts × " + self.per_attempt.describe("customers per attempt")
        return "successes + failures ÷ " + self.per_failed.describe("attempts per failed customer")

    def count(self, index: int, *, attempts: float, failures: float, side: Side) -> float:
        """Customers who started in tile ``index``, at one end of the ratios' ranges."""
        if self.observed is not None and self.observed[index] is not None:
            return float(self.observed[index] or 0.0)
        if self.expected is not None:
            return self.expected[index]
        if self.attempts_expected is not None:
            return self.attempts_expected[index] * self.per_attempt.at(side)
        # More attempts per failed customer means fewer customers: the ratio's ends swap.
        return (attempts - failures) + failures / self.per_failed.at(-side)

    def per_attempt_at(self, base_attempts: Baseline, side: Side) -> float:
        """Customers per attempt for traffic missing against the baseline."""
        if self.baseline is not None and self.baseline.expected > 0 and base_attempts.expected > 0:
            return self.baseline.expected / base_attempts.expected
        return self.per_attempt.at(side)


def customers_model(
    spec: EstimatorSpec,
    *,
    window: Window,
    metrics: MetricsSource,
    weeks: int,
    fine: Grid,
    attempts_history: list[list[float]],
    hints: Hints,
    quality: list[str],
) -> Customers:
    """Everything the traffic estimator knows about the customers behind the attempts."""
    minutes = float(spec.params.get("customers_window_minutes", DEFAULT_CUSTOMERS_WINDOW_MINUTES))
    grid = Grid.over(window, minutes * 60.0)
    observed: list[float | None] | None = None
    expected: list[float] | None = None
    baseline: Baseline | None = None
    query = spec.queries.get("customers")
    if query:
        try:
            observed = fetch_tiles(metrics, query, grid, per_second=False)
        except SeriesProblem as exc:
            quality.append(f"{exc} (customers estimated from past weeks or attempts)")
        history = past_weeks(metrics, query, grid, weeks=weeks, per_second=False)
        if history:
            expected = [median(col) for col in zip(*history, strict=True)]
        baseline = weekly_baseline([sum(w) for w in history])
    attempts_expected = _coarse_medians(attempts_history, fine=fine, coarse=grid)
    found = Customers(
        grid=grid,
        observed=observed,
        expected=expected,
        baseline=baseline,
        attempts_expected=attempts_expected,
        per_attempt=_per_attempt(spec, hints),
        per_failed=_per_failed(spec, hints),
    )
    if not found.from_series:
        ratio = (
            found.per_attempt.describe("customers per attempt")
            if attempts_expected is not None
            else found.per_failed.describe("attempts per failed customer")
        )
        quality.append(f"no customers series: {ratio}")
    return found


def _coarse_medians(history: list[list[float]], *, fine: Grid, coarse: Grid) -> list[float] | None:
    """Past weeks' attempts summed into the coarse tiles, the median week per tile."""
    if not history:
        return None
    owners = [coarse.owner(end - fine.step / 2) for end in fine.ends]
    weeks: list[list[float]] = []
    for week in history:
        sums = [0.0] * len(coarse.ends)
        for owner, value in zip(owners, week, strict=True):
            if owner is not None:
                sums[owner] += value
        weeks.append(sums)
    return [median(col) for col in zip(*weeks, strict=True)]


def _per_attempt(spec: EstimatorSpec, hints: Hints) -> Ratio:
    if hints.customers_per_attempt is not None:
        value = hints.customers_per_attempt
        return Ratio(value, value, value, "measured in past weeks' operational records", True)
    declared = spec.params.get("customers_per_attempt")
    if isinstance(declared, int | float) and 0 < declared <= 1:
        value = float(declared)
        low, high = value * (1 - DECLARED_SPREAD), min(1.0, value * (1 + DECLARED_SPREAD))
        return Ratio(value, low, high, "declared in the catalog: customers_per_attempt", False)
    return Ratio(1.0, ASSUMED_PER_ATTEMPT, 1.0, ASSUMED, False)


def _per_failed(spec: EstimatorSpec, hints: Hints) -> Ratio:
    if hints.attempts_per_failed_customer is not None and hints.attempts_per_failed_customer >= 1:
        value = hints.attempts_per_failed_customer
        return Ratio(value, value, value, "measured in this window's operational records", True)
    declared = spec.params.get("retries_per_failed_customer")
    if isinstance(declared, int | float) and declared >= 0:
        value = 1.0 + float(declared)
        low, high = max(1.0, value * (1 - DECLARED_SPREAD)), value * (1 + DECLARED_SPREAD)
        return Ratio(
            value, low, high, "declared in the catalog: retries_per_failed_customer", False
        )
    low, point, high = ASSUMED_ATTEMPTS_PER_FAILED
    return Ratio(point, low, high, "assumed: nothing measures retries here", False)
