"""The statistics behind the intervals: Poisson bounds and the weekly baseline.

Counts of customers and requests are treated as Poisson: a count ``k`` seen
once could as well have been any value its Poisson distribution makes
plausible, so its interval is the exact (Garwood) one, which is wide for
small counts and about ``k ± 1.645 √k`` for large ones. A baseline learned
from past weeks adds its own noise: the spread between the weeks when there
are several, the Poisson noise of the one week otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from monitor.domain import Interval

LEVEL = 0.9
Z = 1.6448536269514722
"""Two-sided 90% normal quantile."""
_EXACT_BELOW = 400.0


def _poisson_cdf(k: int, lam: float) -> float:
    """P(X ≤ k) for X ~ Poisson(lam), summed in log space (k small)."""
    if lam <= 0:
        return 1.0
    total = 0.0
    log_term = -lam
    for i in range(k + 1):
        if i:
            log_term += math.log(lam) - math.log(i)
        total += math.exp(log_term)
    return min(1.0, total)


def _solve(k: int, target: float, *, hi: float) -> float:
    """The λ at which P(X ≤ k) equals ``target`` (decreasing in λ), by bisection."""
    lo = 0.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if _poisson_cdf(k, mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def poisson_bounds(count: float, *, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided Poisson interval for an observed count (normal beyond a few hundred)."""
    k = max(0.0, count)
    alpha = (1.0 - level) / 2
    if k >= _EXACT_BELOW:
        half = Z * math.sqrt(k)
        return max(0.0, k - half), k + half
    n = round(k)
    low = 0.0 if n == 0 else _solve(n - 1, 1.0 - alpha, hi=n + 10 * math.sqrt(n) + 10)
    high = _solve(n, alpha, hi=n + 10 * math.sqrt(n) + 20)
    # Scale for fractional counts (tiles cut by the window) so the bounds stay around k.
    if n and abs(k - n) > 1e-9:
        low, high = low * k / n, high * k / n
    return low, high


@dataclass(frozen=True)
class Quantity:
    """A point value with a low and high bound (floats, before rounding to an Interval)."""

    value: float
    low: float
    high: float

    @classmethod
    def exact(cls, value: float) -> Quantity:
        """A value known without noise."""
        return cls(value, value, value)

    @classmethod
    def counted(cls, value: float) -> Quantity:
        """A count with its Poisson interval."""
        low, high = poisson_bounds(value)
        return cls(value, low, high)

    def plus(self, other: Quantity) -> Quantity:
        """The sum, its bounds combined in quadrature around the sum (independent noise)."""
        value = self.value + other.value
        down = math.hypot(self.value - self.low, other.value - other.low)
        up = math.hypot(self.high - self.value, other.high - other.value)
        return Quantity(value, max(0.0, value - down), value + up)

    def times(self, factor: float) -> Quantity:
        """The quantity scaled by ``factor`` (bounds included)."""
        return Quantity(self.value * factor, self.low * factor, self.high * factor)

    def at_least(self, floor: float) -> Quantity:
        """The quantity raised to ``floor`` where it lies below it."""
        return Quantity(max(self.value, floor), max(self.low, floor), max(self.high, floor))

    def clamp(self, *, low: float = 0.0, high: float = math.inf) -> Quantity:
        """The same quantity kept within ``[low, high]``."""

        def fit(x: float) -> float:
            return min(max(x, low), high)

        return Quantity(fit(self.value), fit(self.low), fit(self.high))

    def interval(self) -> Interval:
        """Rounded to whole customers or interactions, at the module's level."""
        value = max(0, round(self.value))
        low = min(value, max(0, math.floor(self.low)))
        high = max(value, math.ceil(self.high))
        return Interval(estimate=value, low=low, high=high, level=LEVEL)


def spread(value: float, *, sd: float) -> Quantity:
    """A value with a normal ±Z·sd interval, never below zero."""
    return Quantity(value, max(0.0, value - Z * sd), value + Z * sd)


@dataclass(frozen=True)
class Baseline:
    """What a quantity usually is in this window, learned from past weeks."""

    expected: float
    sd: float
    """Standard deviation of a new week's value around ``expected``."""
    weeks: int
    method: str
    """``median of N weeks``, ``mean of 2 weeks`` or ``one week``."""


def weekly_baseline(values: Sequence[float]) -> Baseline | None:
    """The expected value from past weeks' values, robust to one bad week.

    With three weeks or more the median is used and the spread is the
    median absolute deviation (scaled to a standard deviation), so one
    week with an outage of its own neither moves the baseline nor widens it
    much. With fewer weeks the mean is used; the spread is never taken
    below the Poisson noise of predicting a new count from an old one.
    """
    if not values:
        return None
    n = len(values)
    poisson_sd = math.sqrt(max(1.0, sum(values) / n))
    if n >= 3:
        centre = median(values)
        mad = median(abs(v - centre) for v in values) * 1.4826
        sd = max(mad, poisson_sd) * math.sqrt(1 + 1 / n)
        return Baseline(centre, sd, n, f"median of {n} weeks")
    centre = sum(values) / n
    between = abs(values[0] - values[1]) / math.sqrt(2) if n == 2 else 0.0
    sd = max(between, poisson_sd) * math.sqrt(1 + 1 / n)
    return Baseline(centre, sd, n, "mean of 2 weeks" if n == 2 else "one week")
