"""Topology share: the weakest method, for touchpoints without data of their own.

The share of the touchpoint's requests that cross a failed component is read
from the catalog's hard dependencies (a redundancy group sends each region's
requests to its member in that region, when there is one), weighted by the
regions' shares of customers (``params: {region_share.<region>: 0.6}``,
equal shares otherwise). It is multiplied by the customers the touchpoint
usually has in such a window: ``params: {customers_per_hour: N}``, or the
past weeks of its ``customers`` series. The interval is the Poisson one
widened by half the estimate on each side, because the share is a model.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from itertools import product
from statistics import median

from monitor.catalog import Catalog
from monitor.domain import DependencyKind, EstimatorSpec, Touchpoint
from monitor.impact.ports import MetricsSource, SourceUnavailableError, Window
from monitor.impact.result import MethodResult
from monitor.impact.stats import Quantity
from monitor.impact.tiles import Grid, past_weeks

METHOD = "topology_share"
MODEL_SPREAD = 0.5

Route = frozenset[str]


def node_routes(catalog: Catalog, node: str, region: str | None) -> list[Route]:
    """The sets of components a call to ``node`` from ``region`` crosses (hard dependencies)."""
    if node in catalog.groups:
        members = catalog.groups[node].members
        local = [m for m in members if catalog.components[m].region == region]
        found: list[Route] = []
        for member in local or list(members):
            found.extend(node_routes(catalog, member, region))
        return found
    if node not in catalog.components:
        return [frozenset()]
    hard = [d.target for d in catalog.components[node].depends_on if d.kind is DependencyKind.HARD]
    return _combine([frozenset({node})], (node_routes(catalog, t, region) for t in hard))


def _combine(base: list[Route], parts: Iterable[list[Route]]) -> list[Route]:
    combos = base
    for options in parts:
        combos = list({a | b: None for a, b in product(combos, options)})
    return combos


def failed_share(
    catalog: Catalog, touchpoint: Touchpoint, *, failed: Collection[str], spec: EstimatorSpec
) -> float:
    """Share of the touchpoint's requests whose route crosses one of ``failed``."""
    named = sorted({c.region for c in catalog.components.values() if c.region})
    regions: list[str | None] = list(named) or [None]
    weights = {r: float(spec.params.get(f"region_share.{r}", 1.0 / len(regions))) for r in regions}
    total = sum(weights.values()) or 1.0
    hard = [d.target for d in touchpoint.depends_on if d.kind is DependencyKind.HARD]
    share = 0.0
    for region in regions:
        routes = _combine([frozenset()], (node_routes(catalog, t, region) for t in hard))
        hit = sum(1 for r in routes if r & set(failed)) / max(1, len(routes))
        share += weights[region] / total * hit
    return share


def estimate_topology(
    spec: EstimatorSpec,
    *,
    catalog: Catalog,
    touchpoint: Touchpoint,
    failed: Collection[str],
    window: Window,
    metrics: MetricsSource | None,
) -> MethodResult:
    """Affected customers as the failed share of the customers usually active in the window."""
    quality = ["weakest method: a model of routes and shares, not a measurement"]
    if failed:
        share = failed_share(catalog, touchpoint, failed=failed, spec=spec)
        share_note = f"{share:.0%} of requests cross {', '.join(sorted(failed))}"
    else:
        share = 1.0
        share_note = "no failed component known: the whole touchpoint assumed down"
        quality.append("no failed component known: upper bound")
    expected, source = _expected_customers(spec, window=window, metrics=metrics, quality=quality)
    if expected is None:
        return MethodResult(METHOD, quality=(*quality, "no expected customers for this window"))
    value = share * expected
    counted = Quantity.counted(value)
    spread = MODEL_SPREAD * value
    low = 0.0 if not failed else max(0.0, counted.low - spread)
    affected = Quantity(value, low, counted.high + spread)
    return MethodResult(
        METHOD,
        affected=affected,
        affected_so_far=affected,
        inputs=f"{share_note}; {expected:.0f} customers expected ({source})",
        quality=tuple(quality),
    )


def _expected_customers(
    spec: EstimatorSpec, *, window: Window, metrics: MetricsSource | None, quality: list[str]
) -> tuple[float | None, str]:
    per_hour = spec.params.get("customers_per_hour")
    query = spec.queries.get("customers")
    if query and metrics is not None:
        minutes = float(spec.params.get("customers_window_minutes", 15.0))
        grid = Grid.over(window, minutes * 60.0)
        try:
            weeks = past_weeks(metrics, query, grid, weeks=4, per_second=False)
        except SourceUnavailableError as exc:
            quality.append(f"Prometheus unreachable: {exc}")
            weeks = []
        if weeks:
            return median(sum(w) for w in weeks), f"median of {len(weeks)} past weeks"
    if isinstance(per_hour, int | float) and per_hour >= 0:
        return float(per_hour) * window.seconds / 3600.0, "catalog customers_per_hour"
    return None, ""
