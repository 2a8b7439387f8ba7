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

Without a customers series, ``monitor.impact.customers`` says how many
customers the attempts stand for, and the interval spans the range of any
ratio that had to be assumed. A failures query that returns nothing (and
never answered in past weeks) means failed requests were not counted: the
estimate is then the traffic missing against the baseline, and its upper
bound counts every customer who reached the service as possibly failed;
without a baseline the method gives no figure rather than a zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from monitor.domain import EstimatorSpec
from monitor.impact.counters import Counts, read_counts
from monitor.impact.customers import HIGH, LOW, POINT, Customers, Hints, Side, customers_model
from monitor.impact.ports import MetricsSource, SourceUnavailableError, Window
from monitor.impact.result import MethodResult
from monitor.impact.stats import Baseline, Quantity, Z, spread
from monitor.impact.tiles import SeriesProblem

METHOD = "prometheus_traffic"
DEFAULT_WEEKS = 4
RETRY_STORM = 0.25
"""Attempts this far above the baseline (and beyond three times its noise) are retries."""


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

    @property
    def middle(self) -> float:
        """The midpoint of the two readings."""
        return (self.persistent + self.independent) / 2


def estimate_traffic(
    spec: EstimatorSpec,
    *,
    window: Window,
    metrics: MetricsSource,
    live: bool,
    hints: Hints | None = None,
) -> MethodResult:
    """Affected customers and failed interactions of one touchpoint from its counters."""
    try:
        return _estimate(spec, window=window, metrics=metrics, live=live, hints=hints or Hints())
    except SourceUnavailableError as exc:
        return MethodResult(METHOD, quality=(f"Prometheus unreachable: {exc}",))
    except SeriesProblem as exc:
        return MethodResult(METHOD, quality=(str(exc),))


def _estimate(
    spec: EstimatorSpec, *, window: Window, metrics: MetricsSource, live: bool, hints: Hints
) -> MethodResult:
    attempts_q = spec.queries.get("attempts")
    if not attempts_q:
        return MethodResult(METHOD, quality=("prometheus_traffic needs an 'attempts' query",))
    weeks = int(spec.params.get("history_weeks", DEFAULT_WEEKS))
    quality: list[str] = []
    counts = read_counts(
        spec, attempts_q, window=window, metrics=metrics, weeks=weeks, quality=quality
    )
    if not counts.counted and counts.base is None:
        quality.append("no past week to compare the traffic with either: no figure from counters")
        return MethodResult(METHOD, quality=tuple(quality))
    cust = customers_model(
        spec,
        window=window,
        metrics=metrics,
        weeks=weeks,
        fine=counts.fine,
        attempts_history=counts.history,
        hints=hints,
        quality=quality,
    )
    return _conclude(counts, cust=cust, live=live, quality=quality)


def _tiles(counts: Counts, cust: Customers, side: Side) -> list[Tile]:
    """Group the fine (rate) tiles into the customers tiles and fill in the customers."""
    coarse, fine = cust.grid, counts.fine
    unknown = side == HIGH and not counts.counted
    sums = [[0.0, 0.0, True] for _ in coarse.ends]
    for end, a, f in zip(fine.ends, counts.attempts, counts.failures, strict=True):
        index = coarse.owner(end - fine.step / 2)
        if index is None:
            continue
        cell = sums[index]
        if a is None:
            cell[2] = False
            continue
        cell[0] = float(cell[0]) + a
        # Failures not counted: at the high end, every attempt may have failed.
        cell[1] = float(cell[1]) + (a if unknown else min(a, f or 0.0))
    tiles: list[Tile] = []
    for i, (a, f, present) in enumerate(sums):
        customers = cust.count(i, attempts=float(a), failures=float(f), side=side)
        tiles.append(Tile(float(a), float(f), customers, bool(present)))
    return tiles


@dataclass(frozen=True)
class Reading:
    """Affected customers at one end of the customer ratios' ranges."""

    so_far: Quantity
    projection: Quantity
    low: float
    high: float
    """The two readings of the counters (before the missing traffic is added)."""


def _conclude(counts: Counts, *, cust: Customers, live: bool, quality: list[str]) -> MethodResult:
    base = counts.base
    readings = {side: _tiles(counts, cust, side) for side in (POINT, LOW, HIGH)}
    tiles = readings[POINT]
    present = [t for t in tiles if t.present]
    missing = len(tiles) - len(present)
    trailing = _trailing_missing(tiles)
    if not present:
        return MethodResult(METHOD, quality=(*quality, "no traffic data in the window"))
    failed = sum(t.failures for t in present)
    notes: list[str] = []
    gap_failed, _ = _gaps(tiles, live=live, base=base, quality=notes)
    short_failed, _ = _shortfall(present, base, cust, POINT, notes)
    quality.extend(notes)
    found = {
        side: _reading(side_tiles, counts=counts, cust=cust, side=side, live=live)
        for side, side_tiles in readings.items()
    }
    point = found[POINT]
    if not counts.counted and _retrying(present, base, tiles=len(tiles)):
        # Uncounted failures show as retries: the point moves halfway to the upper bound.
        high = found[HIGH]
        point = replace(
            point,
            so_far=replace(point.so_far, value=(point.so_far.value + high.so_far.value) / 2),
            projection=replace(
                point.projection, value=(point.projection.value + high.projection.value) / 2
            ),
        )
        quality.append(
            "attempts above the baseline beyond its noise (customers retrying failures): "
            "estimate halfway to the upper bound"
        )
    affected_so_far = _widest(point.so_far, [r.so_far for r in found.values()])
    projection = _widest(point.projection, [r.projection for r in found.values()])
    if live and trailing:
        quality.append(f"newest {trailing} tile(s) not scraped yet: projected at the current rate")
    if missing and not live:
        quality.append(f"gap: {missing} of {len(tiles)} tiles without data")
    failed_q = Quantity.counted(failed).plus(Quantity.counted(gap_failed + short_failed))
    if not counts.counted:
        seen = _total(present, "attempts")
        failed_q = Quantity(failed_q.value, failed_q.low, failed_q.high + seen)
    if base is None:
        quality.append("no baseline: no past week of this touchpoint in Prometheus")
    elif base.weeks == 1:
        quality.append("baseline from one past week only")
    return MethodResult(
        METHOD,
        affected=projection,
        affected_so_far=affected_so_far,
        failed=failed_q,
        inputs=_inputs(present, failed, point, cust=cust, base=base, step=counts.step),
        quality=tuple(quality),
        distinct=cust.distinct,
        normal=_normal(cust, base),
    )


def _retrying(present: Sequence[Tile], base: Baseline | None, *, tiles: int) -> bool:
    """True when the window saw clearly more attempts than past weeks: a retry storm.

    The bar is high (three times the noise and a quarter above the
    baseline) so that a quiet window's chance excess never moves the point.
    """
    if base is None:
        return False
    share = len(present) / max(1, tiles)
    seen, expected = _total(present, "attempts"), base.expected * share
    noise = math.hypot(base.sd * share, math.sqrt(max(seen, 1.0)))
    return seen - expected > max(3 * noise, RETRY_STORM * expected)


def _reading(
    tiles: list[Tile], *, counts: Counts, cust: Customers, side: Side, live: bool
) -> Reading:
    present = [t for t in tiles if t.present]
    low = sum(t.persistent for t in present)
    high = sum(t.independent for t in present)
    lo, hi = min(low, high), max(low, high)
    _, gap_customers = _gaps(tiles, live=live, base=counts.base, quality=[])
    _, short_customers = _shortfall(present, counts.base, cust, side, [])
    so_far = _bracket(lo, hi).plus(Quantity.counted(gap_customers + short_customers))
    projection = so_far
    trailing = _trailing_missing(tiles)
    if live and trailing:
        recent = present[-3:]
        rate = sum(t.middle for t in recent) / max(1, len(recent))
        projection = so_far.plus(Quantity.counted(rate * trailing))
    return Reading(so_far, projection, lo, hi)


def _widest(point: Quantity, found: Sequence[Quantity]) -> Quantity:
    """The point reading's value, with the lowest low and highest high of every reading."""
    return Quantity(point.value, min(q.low for q in found), max(q.high for q in found))


def _inputs(
    present: Sequence[Tile],
    failed: float,
    point: Reading,
    *,
    cust: Customers,
    base: Baseline | None,
    step: float,
) -> str:
    return (
        f"{_total(present, 'attempts'):.0f} attempts, {failed:.0f} failed, "
        f"{_total(present, 'customers'):.0f} customers started ({cust.source}); "
        f"affected between {point.low:.0f} (failing customers kept failing) and "
        f"{point.high:.0f} (failures independent per attempt); baseline "
        + (
            f"{base.expected:.0f} attempts ({base.method})"
            if base
            else "none (no past week in the history)"
        )
        + f"; {step:.0f}s tiles"
    )


def _normal(cust: Customers, base: Baseline | None) -> Quantity | None:
    """Customers the touchpoint usually has in the window, from past weeks."""
    if cust.baseline is not None:
        return spread(cust.baseline.expected, sd=cust.baseline.sd)
    if base is None:
        return None
    ratio = cust.per_attempt_at(base, POINT)
    return spread(base.expected * ratio, sd=base.sd * ratio)


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
    present: Sequence[Tile],
    base: Baseline | None,
    cust: Customers,
    side: Side,
    quality: list[str],
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
    customers = missing * cust.per_attempt_at(base, side)
    quality.append(
        f"traffic {missing:.0f} attempts below the baseline of {expected:.0f}: "
        "counted as failed (customers who could not reach the service)"
    )
    return missing, customers
