"""Reading counters over a window exactly: the window cut into tiles of the query's own range.

A catalog query such as ``sum(rate(x[5m]))`` evaluated at ``t`` is the rate
over ``(t - 5m, t]``; evaluated every five minutes back from the end of the
window it tiles the window without overlap, so ``rate × 300`` summed over
the tiles is the number of requests in it (Prometheus extrapolates each
tile to its edges). The oldest tile usually sticks out before the window;
its count is scaled by the share that lies inside. A gauge of "customers
active in the last 15 minutes" is read the same way with 15-minute tiles.

That scaling assumes the oldest tile's requests were spread evenly over it,
which an incident that starts with the window is not: a three-minute
incident read through one five-minute tile would lose two fifths of its
failures. So the query's range is only the longest tile: ``fit_tiles``
cuts the window into the fewest whole tiles no longer than it, and
``with_range`` rewrites the query's ``[5m]`` to that length, so that every
tile lies inside the window. Tiles are never shorter than
``MIN_TILE_SECONDS`` (a rate needs two samples); only a window shorter than
that is still read through a tile that sticks out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.impact.ports import MetricsSource, QueryError, SourceUnavailableError, Window

_RANGE = re.compile(r"\[(\d+(?:\.\d+)?)(ms|s|m|h|d|w)(?::[^\]]*)?\]")
_SUBQUERY = re.compile(r"\[[^\]]*:[^\]]*\]")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
WEEK = 7 * 86400.0
MIN_TILE_SECONDS = 120.0
"""Shortest tile: two scrapes at a one-minute interval, so that a rate has two samples."""


def query_range_seconds(query: str) -> float | None:
    """The one range duration a PromQL expression uses (``[5m]`` → 300), None if none or several."""
    found = {float(n) * _UNIT[u] for n, u in _RANGE.findall(query)}
    return found.pop() if len(found) == 1 else None


def with_range(query: str, seconds: float) -> str:
    """The query with its one range duration set to ``seconds`` (subqueries are left alone)."""
    if query_range_seconds(query) is None or _SUBQUERY.search(query):
        return query
    return _RANGE.sub(f"[{round(seconds)}s]", query)


def fit_tiles(window: Window, longest: float, *, shortest: float = MIN_TILE_SECONDS) -> float:
    """Whole-second tile length that cuts ``window`` into the fewest tiles of at most ``longest``.

    A query whose range is already that short keeps it; a window shorter
    than ``shortest`` gets one tile of ``shortest``, which sticks out before
    the window's start.
    """
    if longest <= shortest:
        return longest
    span = math.floor(window.end.timestamp()) - math.floor(window.start.timestamp())
    count = max(1, math.ceil(span / longest - 1e-9))
    return max(shortest, float(math.ceil(span / count)))


@dataclass(frozen=True)
class Grid:
    """Tile end times (Unix seconds, ascending) and the share of each tile inside the window."""

    ends: tuple[float, ...]
    fractions: tuple[float, ...]
    step: float

    @classmethod
    def over(cls, window: Window, step: float) -> Grid:
        """Tiles of ``step`` seconds ending at the window's end and reaching back to its start."""
        # Whole seconds: the HTTP API's range queries are in whole seconds.
        start, end = (
            float(math.floor(window.start.timestamp())),
            float(math.floor(window.end.timestamp())),
        )
        count = max(1, math.ceil((end - start) / step - 1e-9))
        ends = tuple(end - step * j for j in reversed(range(count)))
        fractions = tuple(min(1.0, max(0.0, (e - start) / step)) for e in ends)
        return cls(ends, fractions, step)

    def shifted(self, seconds: float) -> Grid:
        """The same tiles ``seconds`` earlier (a past week)."""
        return Grid(tuple(e - seconds for e in self.ends), self.fractions, self.step)

    def owner(self, t: float) -> int | None:
        """Index of the tile containing instant ``t`` (None outside the grid)."""
        for i, e in enumerate(self.ends):
            if e - self.step < t <= e:
                return i
        return None


class SeriesProblem(Exception):  # noqa: N818 - a reason, not a failure of the program
    """A query that cannot be used: failed, empty, or several series where one was expected."""


def fetch_tiles(
    metrics: MetricsSource, query: str, grid: Grid, *, per_second: bool, shown: str | None = None
) -> list[float | None]:
    """The query's value in each tile (× step when it is a rate), None where there is no point.

    Raises SeriesProblem with a readable reason (naming the query, or
    ``shown``: the catalog's text of a query rewritten by ``with_range``) when
    the query errors, returns nothing, or returns several series; raises
    SourceUnavailableError when Prometheus cannot be reached.
    """
    named = shown or query
    try:
        found = metrics.range(
            query,
            start=datetime.fromtimestamp(grid.ends[0], UTC),
            end=datetime.fromtimestamp(grid.ends[-1], UTC),
            step_seconds=grid.step,
        )
    except QueryError as exc:
        raise SeriesProblem(f"query failed ({exc}): {named}") from exc
    if not found:
        raise SeriesProblem(f"query returned nothing: {named}")
    if len(found) > 1:
        raise SeriesProblem(f"query returned {len(found)} series where one was expected: {named}")
    points = {round(t): v for t, v in found[0].points.items() if math.isfinite(v)}
    scale = grid.step if per_second else 1.0
    out: list[float | None] = []
    for end, share in zip(grid.ends, grid.fractions, strict=True):
        value = points.get(round(end))
        out.append(None if value is None else max(0.0, value) * scale * share)
    return out


def fetch_optional(
    metrics: MetricsSource, query: str, grid: Grid, *, per_second: bool, shown: str | None = None
) -> tuple[list[float | None], str | None]:
    """Like ``fetch_tiles`` but an empty answer is all-None with a note instead of a problem."""
    try:
        return fetch_tiles(metrics, query, grid, per_second=per_second, shown=shown), None
    except SeriesProblem as exc:
        if str(exc).startswith("query returned nothing"):
            return [None] * len(grid.ends), str(exc)
        raise


def past_weeks(
    metrics: MetricsSource, query: str, grid: Grid, *, weeks: int, per_second: bool
) -> list[list[float]]:
    """Per-tile values of the same window in each of the past ``weeks`` that has complete data.

    A week before the history began (no answer) or with holes is skipped
    rather than read as zero traffic.
    """
    found: list[list[float]] = []
    for k in range(1, weeks + 1):
        try:
            tiles = fetch_tiles(metrics, query, grid.shifted(k * WEEK), per_second=per_second)
        except SeriesProblem:
            continue
        if all(v is not None for v in tiles):
            found.append([v or 0.0 for v in tiles])
    return found


__all__ = [
    "MIN_TILE_SECONDS",
    "WEEK",
    "Grid",
    "SeriesProblem",
    "SourceUnavailableError",
    "fetch_optional",
    "fetch_tiles",
    "fit_tiles",
    "past_weeks",
    "query_range_seconds",
    "with_range",
]
