"""Touchpoint-level alerts: a touchpoint's own measurements as a node of the graph.

Teams alert on what customers feel as well as on components: "20% of card
payments fail" names a touchpoint, not a database. Each touchpoint gets an
implicit component ``<touchpoint>.measured`` that it hard-depends on and that
alerts labelled ``touchpoint="<id>"`` are about, so such an alert sets the
touchpoint's state by its severity (critical: major outage; warning: degraded
performance) and explains itself in the usual way:
``card-payments ← card-payments.measured (alert TouchpointFailureRatioHigh)``.
The loaded catalog is left untouched; only the compiled graph and index see it.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.catalog.model import Catalog
from monitor.domain import Component, ComponentKind, Dependency, Matcher, MatchOp

SUFFIX = ".measured"
LABEL = "touchpoint"


def symptom_id(touchpoint: str) -> str:
    """The implicit component that carries a touchpoint's own alerts."""
    return touchpoint + SUFFIX


def with_symptoms(catalog: Catalog) -> Catalog:
    """The catalog plus one measured-symptom component per touchpoint."""
    components = dict(catalog.components)
    touchpoints = dict(catalog.touchpoints)
    for tid, touchpoint in catalog.touchpoints.items():
        node = symptom_id(tid)
        if node in components:
            continue
        components[node] = Component(
            id=node,
            name=f"{touchpoint.name} (measured)",
            kind=ComponentKind.SERVICE,
            team=touchpoint.team,
            matchers=((Matcher(LABEL, MatchOp.EQ, tid),),),
        )
        touchpoints[tid] = replace(
            touchpoint, depends_on=(*touchpoint.depends_on, Dependency(node))
        )
    return Catalog.build(
        company=catalog.company,
        segments=catalog.segments,
        teams=catalog.teams,
        components=components,
        groups=catalog.groups,
        touchpoints=touchpoints,
        source=catalog.source,
    )
