"""Correlation benchmark: does the stage keep up with a large company on a small machine?

Builds a layered catalog (shared platform of regions, networks, databases,
replica and broker groups; business domains stacked on it in layers; 500
touchpoints on top), loads thousands of firing alerts, then measures:

* one alert applied incrementally (``TopologyState.apply``), median and p99,
  while the alerts first arrive one by one and then under fire/resolve churn;
* a full ``correlate()`` from scratch, catalog compilation included;
* the process's peak resident memory.

Each figure is printed with its ceiling and the ratio figure/ceiling; the
exit status is 1 when any ratio exceeds 1, or when the incremental
snapshot differs from a full recomputation over the same alerts. Run ``python -m bench.correlation``
(``--quick`` for a smaller run, ``--seed`` to vary the catalog).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.catalog.model import Catalog
from monitor.correlate import PreparedCatalog, TopologyState, correlate
from monitor.domain import (
    Alert,
    AlertStatus,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Matcher,
    MatchOp,
    RedundancyGroup,
    Touchpoint,
)

AT = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
SEVERITIES = ("critical",) * 15 + ("warning",) * 45 + ("info",) * 40
LAYERS = 5


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    components: int
    touchpoints: int
    alerts: int
    applies: int
    repeats: int


FULL = Size(components=10_000, touchpoints=500, alerts=5_000, applies=3_000, repeats=3)
QUICK = Size(components=1_000, touchpoints=50, alerts=500, applies=300, repeats=1)


@dataclass(frozen=True)
class Figure:
    """One measured figure against its ceiling."""

    name: str
    value: float
    unit: str
    ceiling: float | None

    @property
    def ratio(self) -> float | None:
        """Figure divided by ceiling; None when the figure is informative only."""
        return self.value / self.ceiling if self.ceiling else None


class CatalogMaker:
    """Deterministic generator of a layered catalog."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.components: dict[str, Component] = {}
        self.groups: dict[str, RedundancyGroup] = {}

    def add(self, cid: str, kind: ComponentKind, deps: Sequence[Dependency] = ()) -> str:
        """Add a component matched by ``service``, some also by job and instance pattern."""
        groups: list[tuple[Matcher, ...]] = [(Matcher("service", MatchOp.EQ, cid),)]
        roll = self.rng.random()
        if roll < 0.1:
            groups.append(
                (Matcher("job", MatchOp.EQ, cid), Matcher("instance", MatchOp.RE, f"{cid}-[0-9]+"))
            )
        elif roll < 0.11:
            groups.append((Matcher("instance", MatchOp.RE, f"legacy-{cid}-.*"),))
        self.components[cid] = Component(
            id=cid,
            name=cid,
            kind=kind,
            team=None,
            matchers=tuple(groups),
            depends_on=tuple(deps),
        )
        return cid

    def group(self, gid: str, members: list[str], min_up: int) -> str:
        """Add a redundancy group."""
        self.groups[gid] = RedundancyGroup(gid, gid, tuple(members), min_up)
        return gid

    def platform(self) -> list[str]:
        """Regions, networks, databases, replica and broker groups, caches: what domains use."""
        rng = self.rng
        nets = []
        for r in range(4):
            region = self.add(f"region-{r}", ComponentKind.REGION)
            for n in range(2):
                net = self.add(f"net-{r}-{n}", ComponentKind.NETWORK, [Dependency(region)])
                nets.append(net)
        shared = []
        for d in range(40):
            deps = [Dependency(rng.choice(nets))]
            shared.append(self.add(f"db-{d}", ComponentKind.DATABASE, deps))
        for g in range(20):
            members = [
                self.add(
                    f"replica-{g}-{i}", ComponentKind.DATABASE, [Dependency(nets[(g + i) % 8])]
                )
                for i in range(2)
            ]
            shared.append(self.group(f"replicas-{g}", members, 1))
        for g in range(8):
            members = [
                self.add(f"broker-{g}-{i}", ComponentKind.QUEUE, [Dependency(nets[(g + i) % 8])])
                for i in range(3)
            ]
            shared.append(self.group(f"brokers-{g}", members, 2))
        for c in range(24):
            shared.append(
                self.add(f"cache-{c}", ComponentKind.CACHE, [Dependency(rng.choice(nets))])
            )
        return shared

    def domain(self, name: str, size: int, shared: list[str], tops: list[list[str]]) -> list[str]:
        """A business domain of ``size`` components in layers; returns its top layer."""
        rng = self.rng
        per_layer = max(1, size // LAYERS)
        below: list[str] = []
        for layer in range(LAYERS - 1, -1, -1):
            current = []
            count = per_layer if layer else size - per_layer * (LAYERS - 1)
            targets = below + self._domain_groups(name, layer, below)
            for i in range(count):
                if targets:
                    deps = [Dependency(t) for t in rng.sample(targets, min(len(targets), 2))]
                else:
                    deps = [Dependency(t) for t in rng.sample(shared, 2)]
                if rng.random() < 0.3:
                    deps.append(Dependency(rng.choice(shared), DependencyKind.SOFT))
                if tops and rng.random() < 0.05:
                    deps.append(Dependency(rng.choice(rng.choice(tops)), DependencyKind.SOFT))
                current.append(self.add(f"{name}-l{layer}-{i}", ComponentKind.SERVICE, deps))
            below = current
        return below

    def _domain_groups(self, name: str, layer: int, below: list[str]) -> list[str]:
        if layer != LAYERS - 2 or len(below) < 6:
            return []
        return [self.group(f"{name}-pool-{g}", below[g * 3 : g * 3 + 3], 2) for g in range(2)]


def make_catalog(size: Size, seed: int) -> Catalog:
    """A catalog with ``size.components`` components and ``size.touchpoints`` touchpoints."""
    rng = random.Random(seed)
    maker = CatalogMaker(rng)
    shared = maker.platform()
    domains = max(1, (size.components - len(maker.components)) // 170)
    per_domain = (size.components - len(maker.components)) // domains
    tops: list[list[str]] = []
    for d in range(domains):
        tops.append(maker.domain(f"dom{d}", per_domain, shared, tops))
    touchpoints = {}
    for t in range(size.touchpoints):
        top = tops[t % len(tops)]
        deps = [Dependency(c) for c in rng.sample(top, min(len(top), rng.randint(1, 3)))]
        if rng.random() < 0.3:
            deps.append(Dependency(rng.choice(rng.choice(tops)), DependencyKind.SOFT))
        touchpoints[f"tp-{t}"] = Touchpoint(
            id=f"tp-{t}", name=f"tp-{t}", journey="", segments=(), team="t",
            slack_channel="#t", depends_on=tuple(deps),
        )  # fmt: skip
    return Catalog.build(
        company="bench",
        segments=(),
        teams={},
        components=maker.components,
        groups=maker.groups,
        touchpoints=touchpoints,
    )


def make_alert(rng: random.Random, catalog_ids: list[str], fingerprint: str) -> Alert:
    """A firing alert on a random component, with a realistic mix of severities."""
    cid = rng.choice(catalog_ids)
    return Alert(
        fingerprint=fingerprint,
        source="bench",
        status=AlertStatus.FIRING,
        labels={
            "alertname": f"Alert{rng.randint(0, 50)}",
            "service": cid,
            "severity": rng.choice(SEVERITIES),
        },
        annotations={},
        starts_at=AT,
    )


def resolve(alert: Alert) -> Alert:
    """The resolution of a firing alert."""
    return Alert(
        fingerprint=alert.fingerprint,
        source=alert.source,
        status=AlertStatus.RESOLVED,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=AT,
    )


def _timed(state: TopologyState, alert: Alert) -> float:
    start = time.perf_counter()
    state.apply(alert)
    return time.perf_counter() - start


def _p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(size: Size, seed: int) -> tuple[list[Figure], bool]:
    """Run the benchmark; return its figures and whether incremental equals full."""
    rng = random.Random(seed + 1)
    catalog = make_catalog(size, seed)
    ids = sorted(catalog.components)
    alerts = [make_alert(rng, ids, f"fp-{i}") for i in range(size.alerts)]

    full_times = []
    for _ in range(size.repeats):
        start = time.perf_counter()
        correlate(alerts, catalog, at=AT)
        full_times.append(time.perf_counter() - start)

    state = TopologyState(catalog, at=AT, prepared=PreparedCatalog.of(catalog))
    filling = [_timed(state, alert) for alert in alerts]
    same = state.snapshot() == correlate(alerts, catalog, at=AT)

    live = {a.fingerprint: a for a in alerts}
    churn, snapshots = [], []
    for i in range(size.applies):
        if live and rng.random() < 0.5:
            alert = resolve(live.pop(rng.choice(list(live))))
        else:
            alert = make_alert(rng, ids, f"new-{i}")
            live[alert.fingerprint] = alert
        churn.append(_timed(state, alert))
        if i % 50 == 0:
            start = time.perf_counter()
            state.snapshot()
            snapshots.append(time.perf_counter() - start)
    same = same and state.snapshot() == correlate(live.values(), catalog, at=AT)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ms = 1e3
    figures = [
        Figure("apply, filling from quiet, median", statistics.median(filling) * ms, "ms", 1.0),
        Figure("apply, filling from quiet, p99", _p99(filling) * ms, "ms", None),
        Figure("apply, fire/resolve churn, median", statistics.median(churn) * ms, "ms", 1.0),
        Figure("apply, fire/resolve churn, p99", _p99(churn) * ms, "ms", None),
        Figure("snapshot after 50 applies, median", statistics.median(snapshots) * ms, "ms", None),
        Figure("full correlate()", statistics.median(full_times), "s", 1.0),
        Figure("peak memory (max RSS)", peak_mb, "MB", 300.0),
    ]
    return figures, same


def table(figures: list[Figure], size: Size) -> str:
    """The figures as a plain-text table."""
    head = (
        f"correlation benchmark: {size.components} components, {size.touchpoints} touchpoints, "
        f"{size.alerts} firing alerts, {size.applies} incremental applies"
    )
    rows = [f"{'figure':<36} {'value':>12} {'ceiling':>10} {'ratio':>7}"]
    for f in figures:
        ceiling = f"{f.ceiling:g} {f.unit}" if f.ceiling else "-"
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else "-"
        rows.append(f"{f.name:<36} {f'{f.value:.3f} {f.unit}':>12} {ceiling:>10} {ratio:>7}")
    return "\n".join([head, *rows])


def write_results(figures: list[Figure], size: Size, *, same: bool) -> None:
    """Write bench/results/correlation.json (ratios are fractions of the ceilings)."""
    from bench.common import RESULTS, machine

    rows = [
        {
            "figure": f.name,
            "value": f.value,
            "unit": f.unit,
            "ceiling": f.ceiling,
            "ratio": f.ratio,
            "met": None if f.ratio is None else f.ratio <= 1,
            "check": False,
        }
        for f in figures
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": "correlation", "size": str(size), "machine": machine(), "rows": rows}
    payload["incremental_equals_full"] = same
    (RESULTS / "correlation.json").write_text(json.dumps(payload, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the table, and return 1 when a figure exceeds its ceiling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smaller run, for a smoke test")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    figures, same = measure(size, args.seed)
    print(table(figures, size))
    print(f"incremental snapshot equals full correlate(): {'yes' if same else 'NO'}")
    over = [f.name for f in figures if f.ratio is not None and f.ratio > 1]
    write_results(figures, size, same=same)
    if over:
        print("over the ceiling: " + ", ".join(over))
    return 1 if over or not same else 0


if __name__ == "__main__":
    sys.exit(main())
