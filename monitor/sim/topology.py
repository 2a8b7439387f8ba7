"""Which components a request crosses, read from the catalog's dependency graph.

A request follows the hard dependencies of its touchpoint down to the leaves.
In a redundancy group it uses one member: one in the customer's region when
there is one, otherwise any. Soft dependencies are not on the request's
critical path (the caller degrades without them), except the channel's own
front end: a request from the app crosses the mobile back end, one from a
browser the web front end, so that switching channel can route around a fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

from monitor.catalog import Catalog
from monitor.domain import ComponentKind, DependencyKind

CHANNEL_FRONTS: dict[str, str] = {"app": "mobile-bff", "web": "web-banking"}
"""The front-end component each customer channel enters through, when the catalog has it."""

Route = frozenset[str]


@dataclass(frozen=True)
class Routes:
    """Every way a touchpoint's requests can cross the infrastructure, per channel and region."""

    touchpoint: str
    by_channel_region: dict[tuple[str, str], tuple[Route, ...]]
    recordable: frozenset[str]
    """Components whose failure still lets the request be written to the operational DB."""

    def variants(self, channel: str, region: str) -> tuple[Route, ...]:
        """The routes a request on ``channel`` from ``region`` may take (equally likely)."""
        return self.by_channel_region[(channel, region)]

    def all_components(self) -> frozenset[str]:
        """Every component any request of this touchpoint may cross."""
        found: set[str] = set()
        for routes in self.by_channel_region.values():
            for route in routes:
                found |= route
        return frozenset(found)


def regions_of(catalog: Catalog) -> tuple[str, ...]:
    """The regions named by the catalog's components, sorted; one placeholder when none."""
    found = sorted({c.region for c in catalog.components.values() if c.region})
    return tuple(found) or ("default",)


def node_routes(catalog: Catalog, node: str, region: str) -> tuple[Route, ...]:
    """The sets of components crossed when calling ``node`` from ``region``."""
    if node in catalog.groups:
        members = catalog.groups[node].members
        local = [m for m in members if catalog.components[m].region == region]
        found: list[Route] = []
        for member in local or members:
            found.extend(node_routes(catalog, member, region))
        return _dedupe(found)
    comp = catalog.components[node]
    hard = [d.target for d in comp.depends_on if d.kind is DependencyKind.HARD]
    return _combine([frozenset({node})], (node_routes(catalog, t, region) for t in hard))


def touchpoint_routes(
    catalog: Catalog, *, touchpoint: str, channels: Iterable[str], recorder: str | None
) -> Routes:
    """Routes of a touchpoint for each of its channels and each region."""
    tp = catalog.touchpoints[touchpoint]
    fronts = {f for f in CHANNEL_FRONTS.values() if f in catalog.components}
    table: dict[tuple[str, str], tuple[Route, ...]] = {}
    for channel in channels:
        own_front = CHANNEL_FRONTS.get(channel)
        targets = [
            d.target
            for d in tp.depends_on
            if (d.target == own_front) or (d.kind is DependencyKind.HARD and d.target not in fronts)
        ]
        for region in regions_of(catalog):
            parts = (node_routes(catalog, t, region) for t in targets)
            table[(channel, region)] = _combine([frozenset()], parts)
    return Routes(
        touchpoint=touchpoint,
        by_channel_region=table,
        recordable=recordable_failures(catalog, recorder),
    )


def recordable_failures(catalog: Catalog, recorder: str | None) -> frozenset[str]:
    """Components below the recorder but not on the way to its database.

    When one of these fails, the recording service is alive and its database
    reachable, so the failed request is written down; anything else (the
    front, the recorder itself, the database or its network) loses the request.
    """
    if recorder is None or recorder not in catalog.components:
        return frozenset()
    below: set[str] = set()
    for region in regions_of(catalog):
        for route in node_routes(catalog, recorder, region):
            below |= route
    lost: set[str] = {recorder}
    comp = catalog.components[recorder]
    for dep in comp.depends_on:
        target = catalog.components.get(dep.target)
        if target is not None and target.kind is ComponentKind.DATABASE:
            for region in regions_of(catalog):
                for route in node_routes(catalog, target.id, region):
                    lost |= route
    return frozenset(below - lost)


def _combine(base: list[Route], parts: Iterable[tuple[Route, ...]]) -> tuple[Route, ...]:
    combos: list[Route] = list(base)
    for options in parts:
        combos = [a | b for a, b in product(combos, options)]
    return _dedupe(combos)


def _dedupe(routes: Iterable[Route]) -> tuple[Route, ...]:
    seen: dict[Route, None] = {}
    for route in routes:
        seen.setdefault(route, None)
    return tuple(seen)
