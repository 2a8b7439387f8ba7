"""One touchpoint's impact from every estimator its catalog entry names, combined.

Each method answers what it can. For each figure the most trusted method
that produced it wins (recorded customer ids, then counters, then scheduled
exposure, then topology); the others stay listed as cross-checks, and a
disagreement beyond both intervals is reported. A method that could not run
says why in ``quality`` and the next one is used; when none of the listed
methods gives affected customers, topology share is tried from what the
catalog says of the touchpoint. A figure nothing could estimate is None
(``null`` in JSON) with a quality note: never a silent zero.

The operational records run first, because what they measure (distinct
customers per interaction, retries per failed customer) tells the traffic
estimator how many customers its counters stand for.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from monitor.catalog import Catalog
from monitor.domain import EstimatorSpec, ImpactEstimate, Interval, Touchpoint
from monitor.impact.customers import Hints
from monitor.impact.lagging import demote_incomplete, proven_by_counters
from monitor.impact.operational import estimate_operational
from monitor.impact.ports import MetricsSource, OperationalData, Window
from monitor.impact.result import STRENGTH, MethodResult, TouchpointImpact
from monitor.impact.scheduled import estimate_exposure
from monitor.impact.segments import declared_shares, split
from monitor.impact.stats import Quantity
from monitor.impact.topology import estimate_topology
from monitor.impact.traffic import estimate_traffic

NO_AFFECTED = "no method could estimate affected customers"
NO_FAILED = "no method could estimate failed interactions"
"""Quality notes that mark a figure as unknown (it is None, ``null`` in JSON)."""
UNKNOWN = "unknown, reported as null (not zero)"
TRAFFIC = "prometheus_traffic"


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
    run = _Run(catalog, touchpoint, window, sources, live, tuple(failed_components))
    specs = touchpoint.estimators
    # Records first: what they measure tells the counters how many customers they stand for.
    found = {i: run.method(s, Hints()) for i, s in enumerate(specs) if s.method != TRAFFIC}
    hints = _hints(list(found.values()))
    found |= {i: run.method(s, hints) for i, s in enumerate(specs) if s.method == TRAFFIC}
    results = [found[i] for i in range(len(specs))]
    if not any(r.affected is not None for r in results):
        results.extend(run.last_resort())
    return combine(
        touchpoint.id,
        window=window,
        results=results,
        segments=touchpoint.segments,
        segment_shares=declared_shares([s.params for s in specs]),
    )


def _hints(results: Sequence[MethodResult]) -> Hints:
    """What the records measured, for the traffic estimator."""
    records = next((r for r in results if r.method == "operational_sql"), None)
    if records is None:
        return Hints()
    per_failed = None
    if records.recorded_failures and records.floor:
        per_failed = records.recorded_failures / records.floor
    return Hints(
        customers_per_attempt=records.distinct_share, attempts_per_failed_customer=per_failed
    )


@dataclass(frozen=True)
class _Run:
    """One touchpoint's estimation: what every method is run against."""

    catalog: Catalog
    touchpoint: Touchpoint
    window: Window
    sources: Sources
    live: bool
    failed: tuple[str, ...]

    def method(self, spec: EstimatorSpec, hints: Hints) -> MethodResult:
        """One estimator's answer (a quality note when its source is not configured)."""
        method, window, sources = spec.method, self.window, self.sources
        if method == TRAFFIC:
            if sources.metrics is None:
                return MethodResult(method, quality=("no Prometheus configured",))
            return estimate_traffic(
                spec, window=window, metrics=sources.metrics, live=self.live, hints=hints
            )
        if method in ("operational_sql", "scheduled_exposure"):
            if sources.operational is None:
                return MethodResult(method, quality=("no operational database configured",))
            if method == "operational_sql":
                return estimate_operational(spec, window=window, data=sources.operational)
            return estimate_exposure(spec, window=window, data=sources.operational)
        if method == "topology_share":
            return estimate_topology(
                spec,
                catalog=self.catalog,
                touchpoint=self.touchpoint,
                failed=self.failed,
                window=window,
                metrics=sources.metrics,
            )
        return MethodResult(method, quality=(f"unknown estimator method {method!r}",))

    def last_resort(self) -> list[MethodResult]:
        """Topology share from the touchpoint's other estimators' customers query and params.

        Only when the catalog lists no topology share of its own; it still
        needs a customers series or ``customers_per_hour`` to say how many
        customers the touchpoint usually has.
        """
        specs = self.touchpoint.estimators
        if any(s.method == "topology_share" for s in specs):
            return []
        customers = next(
            (
                s.queries["customers"]
                for s in specs
                if "customers" in s.queries and s.method == TRAFFIC
            ),
            None,
        )
        params: dict[str, float | int | str] = {}
        for s in reversed(specs):
            params |= dict(s.params)
        spec = EstimatorSpec(
            "topology_share", queries={"customers": customers} if customers else {}, params=params
        )
        result = self.method(spec, Hints())
        note = "not listed for this touchpoint: tried because no listed method answered"
        return [replace(result, quality=(note, *result.quality))]


def combine(
    touchpoint: str,
    *,
    window: Window,
    results: Sequence[MethodResult],
    segments: Sequence[str] = (),
    segment_shares: Mapping[str, float] | None = None,
) -> TouchpointImpact:
    """One estimate from several methods' answers: the most trusted answer for each figure."""
    ranked = sorted(results, key=lambda r: -STRENGTH.get(r.method, 0))
    quality: list[str] = []
    for r in results:
        quality.extend(f"{r.method}: {q}" for q in r.quality)
    ranked = _in_customers(ranked, quality)
    trusted = demote_incomplete(ranked, quality)
    affected, so_far = _affected(trusted, quality)
    exposed = _pick(ranked, "exposed")
    failed = _pick(trusted, "failed")
    if affected is None and exposed is not None:
        affected = so_far = exposed
        quality.append("affected customers taken as the exposed customers (an upper bound)")
    if affected is None:
        quality.append(f"{NO_AFFECTED}: {UNKNOWN}")
    if failed is None:
        quality.append(f"{NO_FAILED}: {UNKNOWN}")
    quality.extend(_disagreements(ranked))
    by_segment: dict[str, Quantity] = {}
    if affected is not None:
        records = next((r for r in ranked if r.method == "operational_sql"), None)
        by_segment, how = split(
            affected,
            counts=records.segment_counts if records else None,
            mix=records.segment_mix if records else None,
            shares=segment_shares or {},
            segments=segments,
        )
        if how:
            quality.append(how)
    normal = _pick(ranked, "normal")
    estimate = ImpactEstimate(
        touchpoint=touchpoint,
        start=window.start,
        end=window.end,
        affected_customers=_interval(affected),
        failed_interactions=_interval(failed),
        exposed_customers=_interval(exposed),
        methods=tuple(r.describe() for r in ranked if r.usable),
        quality=tuple(quality),
        normal_customers=_interval(normal),
        segments={name: q.interval() for name, q in by_segment.items()},
    )
    return TouchpointImpact(estimate=estimate, affected_so_far=_interval(so_far or affected))


def _in_customers(ranked: Sequence[MethodResult], quality: list[str]) -> list[MethodResult]:
    """Counters' customers (interactions started) scaled to distinct customers by the records.

    A customer can start several interactions in a window: where the records
    tell how many distinct customers an interaction is, the counters'
    figures are scaled by it, unless they already used that ratio.
    """
    records = next((r for r in ranked if r.method == "operational_sql"), None)
    share = records.distinct_share if records is not None else None
    if not share:
        return list(ranked)
    adjusted: list[MethodResult] = []
    for r in ranked:
        if r.method == TRAFFIC and not r.distinct and (r.affected or r.normal):
            r = replace(
                r,
                affected=r.affected.times(share) if r.affected else None,
                affected_so_far=(r.affected_so_far or r.affected).times(share)
                if r.affected
                else None,
                normal=r.normal.times(share) if r.normal else None,
                distinct=True,
            )
            quality.append(f"{TRAFFIC}: customers scaled by {share:.3f} distinct per interaction")
        adjusted.append(r)
    return adjusted


def _affected(
    ranked: Sequence[MethodResult], quality: list[str]
) -> tuple[Quantity | None, Quantity | None]:
    """The most trusted affected-customers answer, raised to the most any method proves.

    Incomplete records were already reduced to their floor
    (``monitor.impact.lagging``); the recorded customers and the one
    customer behind failures the counters counted are floors under any
    method's answer.
    """
    affected = _pick(ranked, "affected")
    so_far = _pick(ranked, "affected_so_far") or affected
    if affected is None or so_far is None:
        return affected, so_far
    floor = max((r.floor for r in ranked if r.floor is not None), default=None)
    proven = proven_by_counters(next((r for r in ranked if r.method == TRAFFIC), None))
    lowest = min(affected.low, so_far.low)
    if proven is not None and lowest < proven and (floor is None or floor < proven):
        quality.append(f"{TRAFFIC}: failed interactions counted: at least one customer affected")
        floor = proven
    if floor is not None:
        affected, so_far = affected.at_least(floor), so_far.at_least(floor)
    return affected, so_far


def _pick(ranked: Sequence[MethodResult], name: str) -> Quantity | None:
    for result in ranked:
        value: Quantity | None = getattr(result, name)
        if value is not None:
            return value
    return None


def _interval(value: Quantity | None) -> Interval | None:
    return value.interval() if value is not None else None


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


def interval_json(value: Interval | None) -> dict[str, float | int] | None:
    """An interval as the API, the CLI and timeline events write it (None: unknown)."""
    if value is None:
        return None
    return {"estimate": value.estimate, "low": value.low, "high": value.high, "level": value.level}


def impact_json(impact: TouchpointImpact, *, timeline: bool) -> dict[str, object]:
    """One touchpoint's estimate as JSON; unknown figures are null.

    The CLI contract has the three figures, methods and quality; timeline
    events also carry ``affected_so_far``, ``normal_customers`` and
    ``segments`` (segment → ``{"affected_customers": {...}}``) for the report.
    """
    est = impact.estimate
    out: dict[str, object] = {"affected_customers": interval_json(est.affected_customers)}
    if timeline:
        out["affected_so_far"] = interval_json(impact.affected_so_far)
    out["failed_interactions"] = interval_json(est.failed_interactions)
    out["exposed_customers"] = interval_json(est.exposed_customers)
    out["methods"] = list(est.methods)
    out["quality"] = list(est.quality)
    if timeline:
        out["normal_customers"] = interval_json(est.normal_customers)
        out["segments"] = {
            name: {"affected_customers": interval_json(value)}
            for name, value in est.segments.items()
        }
    return out
