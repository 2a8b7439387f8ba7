"""Traffic counterfactual: what Prometheus counted, against what the touchpoint's history expects.

Per tile of the window the estimator reads attempts, failures and, when the
service exports it, the customers who started an interaction. Customers
whose attempts all went through were not affected; the others were. Two
readings of the same counters bracket the truth, because counters cannot
tell whether the customers who retried are the ones who failed:

- *persistent*: a customer who failed kept failing (a region cut, a crash):
  affected = customers who started − successes (a success is then a healthy
  customer's only attempt);
- *independent*: each attempt failed at the tile's failure rate, retries
  included (a service erroring on a share of requests): affected =
  customers × failures / attempts.

Both agree when nearly everything fails. The estimate is their midpoint
and its interval spans both, widened by the Poisson noise of the counts.
Traffic missing against the baseline (same time of week over past weeks)
counts as failed: those customers never reached the service.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from monitor.domain import EstimatorSpec
from monitor.impact.ports import MetricsSource, SourceUnavailableError, Window
from monitor.impact.result import MethodResult
from monitor.impact.stats import Baseline, Quantity, Z, weekly_baseline
from monitor.impact.tiles import (
    Grid,
    SeriesProblem,
    fetch_optional,
    fetch_tiles,
    past_weeks,
    query_range_seconds,
)

METHOD = "prometheus_traffic"
DEFAULT_WEEKS = 4
DEFAULT_CUSTOMERS_WINDOW_MINUTES = 15.0


@dataclass(frozen=True)
class Tile:
    """What one customers tile of the window holds."""

    attempts: float
    failures: float
    customers: float
    present: bool
    """False when Prometheus had no point for it (a gap, or not scraped yet)."""

    @property
    def persistent(self) -> float:
        """Affected customers if failing customers kept failing."""
        bound = min(self.customers, self.failures)
        return min(max(0.0, self.customers - (self.attempts - self.failures)), bound)

    @property
    def independent(self) -> float:
        """Affected customers if each attempt failed independently at the tile's rate."""
        if self.attempts <= 0:
            return 0.0
        return min(self.customers * self.failures / self.attempts, self.failures)


def estimate_traffic(
    spec: EstimatorSpec, *, window: Window, metrics: MetricsSource, live: bool
) -> MethodResult:
    """Affected customers and failed interactions of one touchpoint from its counters."""
    try:
        return _estimate(spec, window=window, metrics=metrics, live=live)
    except SourceUnavailableError as exc:
        return MethodResult(METHOD, quality=(f"Prometheus unreachable: {exc}",))
    except SeriesProblem as exc:
        return MethodResult(METHOD, quality=(str(exc),))


def _estimate(
    spec: EstimatorSpec, *, window: Window, metrics: MetricsSource, live: bool
) -> MethodResult:
    attempts_q = spec.queries.get("attempts")
    if not attempts_q:
        return MethodResult(METHOD, quality=("prometheus_traffic needs an 'attempts' query",))
    weeks = int(spec.params.get("history_weeks", DEFAULT_WEEKS))
    quality: list[str] = []
    step = query_range_seconds(attempts_q) or 60.0
    fine = Grid.over(window, step)
    attempts = fetch_tiles(metrics, attempts_q, fine, per_second=True)
    failures = _failures(spec, metrics, fine, quality)
    base_attempts = weekly_baseline(
        [sum(w) for w in past_weeks(metrics, attempts_q, fine, weeks=weeks, per_second=True)]
    )
    cust = _customers(spec, window=window, metrics=metrics, weeks=weeks, quality=quality)
    tiles = _tiles(fine, attempts, failures, cust, base_attempts)
    return _conclude(
        tiles, base_attempts=base_attempts, cust=cust, live=live, quality=quality, step=step
    )


def _failures(
    spec: EstimatorSpec, metrics: MetricsSource, grid: Grid, quality: list[str]
) -> list[float | None]:
    query = spec.queries.get("failures")
    if not query:
        quality.append("no 'failures' query: every attempt is counted as a success")
        return [0.0] * len(grid.ends)
    values, note = fetch_optional(metrics, query, grid, per_second=True)
    if note is not None:
        # A failure counter that was never incremented does not exist yet: no failures.
        quality.append(f"{note} (read as no failed requests)")
    return values


@dataclass(frozen=True)
class Customers:
    """Customers starting interactions per coarse tile, observed or expected."""

    grid: Grid
    observed: list[float | None] | None
    baseline: Baseline | None
    per_tile_expected: list[float] | None
    source: str


def _customers(
    spec: EstimatorSpec, *, window: Window, metrics: MetricsSource, weeks: int, quality: list[str]
) -> Customers:
    query = spec.queries.get("customers")
    minutes = float(spec.params.get("customers_window_minutes", DEFAULT_CUSTOMERS_WINDOW_MINUTES))
    grid = Grid.over(window, minutes * 60.0)
    if not query:
        return Customers(grid, None, None, None, "no customers series")
    try:
        observed = fetch_tiles(metrics, query, grid, per_second=False)
    except SeriesProblem as exc:
        quality.append(f"{exc} (customers estimated from attempts)")
        observed = None
    history = past_weeks(metrics, query, grid, weeks=weeks, per_second=False)
    per_tile = [median(col) for col in zip(*history, strict=True)] if history else None
    baseline = weekly_baseline([sum(w) for w in history])
    return Customers(grid, observed, baseline, per_tile, "customers series")


def _tiles(
    fine: Grid,
    attempts: Sequence[float | None],
    failures: Sequence[float | None],
    cust: Customers,
    base_attempts: Baseline | None,
) -> list[Tile]:
    """Group the fine (rate) tiles into the customers tiles and fill in the customers."""
    coarse = cust.grid
    sums = [[0.0, 0.0, True] for _ in coarse.ends]
    for end, a, f in zip(fine.ends, attempts, failures, strict=True):
        index = coarse.owner(end - fine.step / 2)
        if index is None:
            continue
        cell = sums[index]
        if a is None:
            cell[2] = False
            continue
        cell[0] = float(cell[0]) + a
        cell[1] = float(cell[1]) + min(a, f or 0.0)
    tiles: list[Tile] = []
    for i, (a, f, present) in enumerate(sums):
        customers = _tile_customers(i, cust, float(a), base_attempts, len(coarse.ends))
        tiles.append(Tile(float(a), float(f), customers, bool(present)))
    return tiles


def _tile_customers(
    index: int, cust: Customers, attempts: float, base: Baseline | None, count: int
) -> float:
    if cust.observed is not None and cust.observed[index] is not None:
        return float(cust.observed[index] or 0.0)
    if cust.per_tile_expected is not None:
        return cust.per_tile_expected[index]
    if base is not None:
        # One healthy attempt is one customer's interaction.
        return base.expected / count
    return attempts


def _conclude(
    tiles: list[Tile],
    *,
    base_attempts: Baseline | None,
    cust: Customers,
    live: bool,
    quality: list[str],
    step: float,
) -> MethodResult:
    present = [t for t in tiles if t.present]
    missing = len(tiles) - len(present)
    trailing = _trailing_missing(tiles)
    if not present:
        return MethodResult(METHOD, quality=(*quality, "no traffic data in the window"))
    if cust.observed is None and cust.baseline is None and base_attempts is None:
        quality.append("no customers series and no history: customers counted as attempts")
    low = sum(t.persistent for t in present)
    high = sum(t.independent for t in present)
    lo, hi = min(low, high), max(low, high)
    failed = sum(t.failures for t in present)
    gap_failed, gap_customers = _gaps(tiles, live=live, base=base_attempts, quality=quality)
    short_failed, short_customers = _shortfall(present, base_attempts, cust, quality)
    extra = Quantity.counted(gap_customers + short_customers)
    affected_so_far = _bracket(lo, hi).plus(extra)
    projection = affected_so_far
    if live and trailing:
        recent = [t for t in tiles if t.present][-3:]
        rate = sum((t.persistent + t.independent) / 2 for t in recent) / max(1, len(recent))
        projection = affected_so_far.plus(Quantity.counted(rate * trailing))
        quality.append(f"newest {trailing} tile(s) not scraped yet: projected at the current rate")
    if missing and not live:
        quality.append(f"gap: {missing} of {len(tiles)} tiles without data")
    failed_q = Quantity.counted(failed).plus(Quantity.counted(gap_failed + short_failed))
    inputs = (
        f"{_total(present, 'attempts'):.0f} attempts, {failed:.0f} failed, "
        f"{_total(present, 'customers'):.0f} customers started ({cust.source}); "
        f"affected between {lo:.0f} (failing customers kept failing) and {hi:.0f} "
        f"(failures independent per attempt); baseline "
        + (
            f"{base_attempts.expected:.0f} attempts ({base_attempts.method})"
            if base_attempts
            else "none (no past week in the history)"
        )
        + f"; {step:.0f}s tiles"
    )
    if base_attempts is None:
        quality.append("no baseline: no past week of this touchpoint in Prometheus")
    elif base_attempts.weeks == 1:
        quality.append("baseline from one past week only")
    return MethodResult(
        METHOD,
        affected=projection,
        affected_so_far=affected_so_far,
        failed=failed_q,
        inputs=inputs,
        quality=tuple(quality),
    )


def _bracket(lo: float, hi: float) -> Quantity:
    """Midpoint of the two readings, interval from the low one's to the high one's Poisson bound."""
    low_q, high_q = Quantity.counted(lo), Quantity.counted(hi)
    return Quantity((lo + hi) / 2, low_q.low, high_q.high)


def _total(tiles: Sequence[Tile], name: str) -> float:
    return sum(float(getattr(t, name)) for t in tiles)


def _trailing_missing(tiles: Sequence[Tile]) -> int:
    count = 0
    for tile in reversed(tiles):
        if tile.present:
            break
        count += 1
    return count


def _gaps(
    tiles: Sequence[Tile], *, live: bool, base: Baseline | None, quality: list[str]
) -> tuple[float, float]:
    """Tiles without data count as failed for every customer expected in them."""
    holes = list(tiles)
    if live:
        trailing = _trailing_missing(tiles)
        holes = holes[: len(holes) - trailing] if trailing else holes
    holes = [t for t in holes if not t.present]
    if not holes:
        return 0.0, 0.0
    if base is None:
        quality.append("gap without a baseline: missing traffic could not be counted")
        return 0.0, 0.0
    per_tile = base.expected / max(1, len(tiles))
    customers = sum(t.customers for t in holes)
    return per_tile * len(holes), customers


def _shortfall(
    present: Sequence[Tile], base: Baseline | None, cust: Customers, quality: list[str]
) -> tuple[float, float]:
    """Attempts (and customers) missing against the baseline beyond its noise."""
    if base is None:
        return 0.0, 0.0
    share = len(present) / max(1, len(cust.grid.ends))
    expected, sd = base.expected * share, base.sd * share
    seen = _total(present, "attempts")
    missing = expected - seen
    if missing <= Z * math.hypot(sd, math.sqrt(max(seen, 1.0))):
        return 0.0, 0.0
    customers = missing
    if cust.baseline is not None and cust.baseline.expected > 0 and base.expected > 0:
        customers = missing * cust.baseline.expected / base.expected
    quality.append(
        f"traffic {missing:.0f} attempts below the baseline of {expected:.0f}: "
        "counted as failed (customers who could not reach the service)"
    )
    return missing, customers
