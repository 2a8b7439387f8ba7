"""The traffic estimator's counters over a window: attempts, failures and their history.

The window is cut into tiles that fit it (``tiles.fit_tiles``) and the
catalog's queries are rewritten to read one tile each. Failures are
*counted* when the failures query answers; a query that returns nothing is
either a counter never incremented (no failures) or a wrong query, which
look the same: when the same query answered in a past week it works and
nothing means no failures, otherwise failed requests are not counted and
the estimator must say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.domain import EstimatorSpec
from monitor.impact.ports import MetricsSource, Window
from monitor.impact.stats import Baseline, weekly_baseline
from monitor.impact.tiles import (
    MIN_TILE_SECONDS,
    WEEK,
    Grid,
    SeriesProblem,
    fetch_optional,
    fetch_tiles,
    fit_tiles,
    past_weeks,
    query_range_seconds,
    with_range,
)

DEFAULT_STEP_SECONDS = 60.0
"""Tile length for a query without a range of its own (a recording rule's rate)."""
NOT_COUNTED = (
    "failed requests not counted; the estimate counts the traffic missing against the "
    "baseline, its upper bound every customer who reached the service"
)


@dataclass(frozen=True)
class Counts:
    """The window's counters, tile by tile, and what past weeks expect of them."""

    fine: Grid
    attempts: list[float | None]
    failures: list[float | None]
    counted: bool
    """False when failed requests were not counted (no usable failures series)."""
    base: Baseline | None
    history: list[list[float]]
    """Attempts per tile in each complete past week."""
    step: float


def read_counts(
    spec: EstimatorSpec,
    attempts_q: str,
    *,
    window: Window,
    metrics: MetricsSource,
    weeks: int,
    quality: list[str],
) -> Counts:
    """Attempts and failures per tile of the window, and past weeks' attempts.

    Raises SeriesProblem when the attempts query cannot be used and
    SourceUnavailableError when Prometheus cannot be reached.
    """
    step, attempts_run, failures_run = _tiling(spec, window, attempts_q, quality)
    fine = Grid.over(window, step)
    attempts = fetch_tiles(metrics, attempts_run, fine, per_second=True, shown=attempts_q)
    failures, counted = _failures(
        failures_run, metrics, fine, quality, shown=spec.queries.get("failures"), weeks=weeks
    )
    history = past_weeks(metrics, attempts_run, fine, weeks=weeks, per_second=True)
    base = weekly_baseline([sum(w) for w in history])
    return Counts(fine, attempts, failures, counted, base, history, step)


def _tiling(
    spec: EstimatorSpec, window: Window, attempts_q: str, quality: list[str]
) -> tuple[float, str, str | None]:
    """Tile length and the queries rewritten to read exactly one tile each.

    The query's own range is the longest tile; the window is cut into the
    fewest whole tiles no longer than it, so that a short incident is not
    read through a tile that is mostly outside it.
    """
    failures_q = spec.queries.get("failures") or None
    longest = query_range_seconds(attempts_q)
    if longest is None:
        return DEFAULT_STEP_SECONDS, attempts_q, failures_q
    shortest = float(spec.params.get("min_tile_seconds", MIN_TILE_SECONDS))
    step = fit_tiles(window, longest, shortest=shortest)
    if step == longest:
        return step, attempts_q, failures_q
    rewritten = with_range(attempts_q, step)
    if rewritten == attempts_q:
        return longest, attempts_q, failures_q  # a subquery: read it as written
    if window.seconds < step:
        quality.append(
            f"window shorter than the shortest tile ({step:.0f}s): "
            "its counts are scaled by the share of the tile inside the window"
        )
    return step, rewritten, with_range(failures_q, step) if failures_q else None


def _failures(
    query: str | None,
    metrics: MetricsSource,
    grid: Grid,
    quality: list[str],
    *,
    shown: str | None,
    weeks: int,
) -> tuple[list[float | None], bool]:
    """Failed requests per tile, and whether they were counted at all."""
    if not query:
        quality.append(f"no 'failures' query: {NOT_COUNTED}")
        return [0.0] * len(grid.ends), False
    values, note = fetch_optional(metrics, query, grid, per_second=True, shown=shown)
    if note is None:
        return values, True
    if _answered_before(metrics, query, grid, weeks=weeks):
        quality.append(f"{note} (read as no failed requests: it answered in past weeks)")
        return [0.0] * len(grid.ends), True
    quality.append(f"{note}: {NOT_COUNTED}")
    return [0.0] * len(grid.ends), False


def _answered_before(metrics: MetricsSource, query: str, grid: Grid, *, weeks: int) -> bool:
    for k in range(1, weeks + 1):
        try:
            values = fetch_tiles(metrics, query, grid.shifted(k * WEEK), per_second=True)
        except SeriesProblem:
            continue
        if any(v is not None for v in values):
            return True
    return False
