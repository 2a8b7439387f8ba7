"""One touchpoint's impact from every estimator its catalog entry names, combined.

Each method answers what it can. For each figure the most trusted method
that produced it wins (recorded customer ids, then counters, then scheduled
exposure, then topology); the others stay listed as cross-checks, and a
disagreement beyond both intervals is reported. A method that could not run
says why in ``quality`` and the next one is used: no figure is ever a silent
zero.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from monitor.catalog import Catalog
from monitor.domain import EstimatorSpec, ImpactEstimate, Interval, Touchpoint
from monitor.impact.operational import estimate_operational
from monitor.impact.ports import MetricsSource, OperationalData, Window
from monitor.impact.result import STRENGTH, MethodResult, TouchpointImpact
from monitor.impact.scheduled import estimate_exposure
from monitor.impact.stats import Quantity
from monitor.impact.topology import estimate_topology
from monitor.impact.traffic import estimate_traffic

NO_AFFECTED = "no method could estimate affected customers"
NO_FAILED = "no method could estimate failed interactions"
"""Quality notes that mark a figure as unknown (the JSON contract still carries a number)."""


@dataclass(frozen=True)
class Sources:
    """Where the estimators read from; a missing source makes its methods report so."""

    metrics: MetricsSource | None = None
    operational: OperationalData | None = None


def estimate_touchpoints(
    catalog: Catalog,
    *,
    window: Window,
    sources: Sources,
    touchpoints: Iterable[str] | None = None,
    live: bool = False,
    failed_components: Collection[str] = (),
) -> list[TouchpointImpact]:
    """Estimates for the named touchpoints (all of the catalog's by default), in catalog order."""
    wanted = list(catalog.touchpoints) if touchpoints is None else list(touchpoints)
    return [
        estimate_touchpoint(
            catalog,
            touchpoint=catalog.touchpoints[tp],
            window=window,
            sources=sources,
            live=live,
            failed_components=failed_components,
        )
        for tp in wanted
    ]


def estimate_touchpoint(
    catalog: Catalog,
    *,
    touchpoint: Touchpoint,
    window: Window,
    sources: Sources,
    live: bool = False,
    failed_components: Collection[str] = (),
) -> TouchpointImpact:
    """Run each of the touchpoint's estimators over ``window`` and combine their answers.

    ``live`` means the window ends now and the incident is still open: the
    newest data may not be scraped yet, and the affected figure is then
    projected to the end of the window at the current rate.
    """
    results = [
        _run(spec, catalog, touchpoint, window, sources, live, failed_components)
        for spec in touchpoint.estimators
    ]
    return combine(touchpoint.id, window=window, results=results)


def _run(
    spec: EstimatorSpec,
    catalog: Catalog,
    touchpoint: Touchpoint,
    window: Window,
    sources: Sources,
    live: bool,
    failed: Collection[str],
) -> MethodResult:
    method = spec.method
    if method == "prometheus_traffic":
        if sources.metrics is None:
            return MethodResult(method, quality=("no Prometheus configured",))
        return estimate_traffic(spec, window=window, metrics=sources.metrics, live=live)
    if method in ("operational_sql", "scheduled_exposure"):
        if sources.operational is None:
            return MethodResult(method, quality=("no operational database configured",))
        if method == "operational_sql":
            return estimate_operational(spec, window=window, data=sources.operational)
        return estimate_exposure(spec, window=window, data=sources.operational)
    if method == "topology_share":
        return estimate_topology(
            spec,
            catalog=catalog,
            touchpoint=touchpoint,
            failed=failed,
            window=window,
            metrics=sources.metrics,
        )
    return MethodResult(method, quality=(f"unknown estimator method {method!r}",))


def combine(
    touchpoint: str, *, window: Window, results: Sequence[MethodResult]
) -> TouchpointImpact:
    """One estimate from several methods' answers: the most trusted answer for each figure."""
    ranked = sorted(results, key=lambda r: -STRENGTH.get(r.method, 0))
    quality: list[str] = []
    for r in results:
        quality.extend(f"{r.method}: {q}" for q in r.quality)
    affected, so_far = _affected(ranked, quality)
    exposed = _pick(ranked, "exposed")
    failed = _pick(ranked, "failed")
    if affected is None and exposed is not None:
        affected = so_far = exposed
        quality.append("affected customers taken as the exposed customers (an upper bound)")
    if affected is None:
        quality.append(f"{NO_AFFECTED}: reported as 0, unknown")
    if failed is None:
        quality.append(f"{NO_FAILED}: reported as 0, unknown")
    quality.extend(_disagreements(ranked))
    estimate = ImpactEstimate(
        touchpoint=touchpoint,
        start=window.start,
        end=window.end,
        affected_customers=_interval(affected),
        failed_interactions=_interval(failed),
        exposed_customers=exposed.interval() if exposed is not None else None,
        methods=tuple(r.describe() for r in ranked if r.usable),
        quality=tuple(quality),
    )
    return TouchpointImpact(estimate=estimate, affected_so_far=_interval(so_far or affected))


def _affected(
    ranked: Sequence[MethodResult], quality: list[str]
) -> tuple[Quantity | None, Quantity | None]:
    """The most trusted affected-customers answer, after the methods have informed each other.

    Counters count interactions: where the records tell how many distinct
    customers an interaction is, the counters' answer is scaled by it. Records
    that saw fewer failures than the counters did are incomplete: they then
    only give a lower bound under the counters' answer.
    """
    records = next((r for r in ranked if r.method == "operational_sql"), None)
    counters = next((r for r in ranked if r.method == "prometheus_traffic"), None)
    adjusted: list[MethodResult] = []
    for r in ranked:
        if r is counters and records is not None and records.distinct_share and r.affected:
            share = records.distinct_share
            r = replace(
                r,
                affected=r.affected.times(share),
                affected_so_far=(r.affected_so_far or r.affected).times(share),
            )
            quality.append(
                f"prometheus_traffic: customers scaled by {share:.3f} distinct per interaction"
            )
        if r is records and _incomplete(records, counters):
            quality.append(
                f"operational_sql: records hold {records.recorded_failures:.0f} failed "
                "interactions, fewer than counted: used as a lower bound only"
            )
            r = replace(r, affected=None, affected_so_far=None)
        adjusted.append(r)
    affected = _pick(adjusted, "affected")
    so_far = _pick(adjusted, "affected_so_far")
    floors = [r.floor for r in ranked if r.floor is not None]
    if floors and affected is not None:
        affected = affected.at_least(max(floors))
        so_far = (so_far or affected).at_least(max(floors))
    return affected, so_far


def _incomplete(records: MethodResult, counters: MethodResult | None) -> bool:
    if counters is None or counters.failed is None or records.recorded_failures is None:
        return False
    return records.recorded_failures < counters.failed.low


def _pick(ranked: Sequence[MethodResult], name: str) -> Quantity | None:
    for result in ranked:
        value: Quantity | None = getattr(result, name)
        if value is not None:
            return value
    return None


def _interval(value: Quantity | None) -> Interval:
    return value.interval() if value is not None else Interval(0, 0, 0)


def _disagreements(ranked: Sequence[MethodResult]) -> list[str]:
    found = [(r.method, r.affected) for r in ranked if r.affected is not None]
    notes: list[str] = []
    for (m1, a), (m2, b) in itertools.pairwise(found):
        assert a is not None
        assert b is not None
        if a.high < b.low or b.high < a.low:
            notes.append(
                f"methods disagree on affected customers: {m1} {a.value:.0f} "
                f"[{a.low:.0f}, {a.high:.0f}], {m2} {b.value:.0f} [{b.low:.0f}, {b.high:.0f}]"
            )
    return notes


def interval_json(value: Interval) -> dict[str, float | int]:
    """An interval as the API, the CLI and timeline events write it."""
    return {"estimate": value.estimate, "low": value.low, "high": value.high, "level": value.level}


def impact_json(impact: TouchpointImpact, *, with_so_far: bool) -> dict[str, object]:
    """One touchpoint's estimate as JSON (``affected_so_far`` only in timeline events)."""
    est = impact.estimate
    out: dict[str, object] = {"affected_customers": interval_json(est.affected_customers)}
    if with_so_far:
        out["affected_so_far"] = interval_json(impact.affected_so_far)
    out["failed_interactions"] = interval_json(est.failed_interactions)
    out["exposed_customers"] = (
        interval_json(est.exposed_customers) if est.exposed_customers is not None else None
    )
    out["methods"] = list(est.methods)
    out["quality"] = list(est.quality)
    return out
