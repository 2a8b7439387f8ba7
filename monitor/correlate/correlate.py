"""Alerts × catalog → touchpoint impact, computed from scratch.

``correlate`` is the reference answer: ``TopologyState`` must give the same
result after any sequence of alerts, only faster. Alerts are read in order as
upserts by fingerprint (a later alert replaces an earlier one with the same
fingerprint, a resolved one removes it), which is what an incremental
consumer sees too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.catalog.model import Catalog
from monitor.correlate.book import AlertBook
from monitor.correlate.graph import Graph
from monitor.correlate.match import MatchIndex
from monitor.correlate.propagate import Propagation
from monitor.correlate.result import CorrelationResult, Situation, assemble, impacts_of
from monitor.correlate.symptoms import with_symptoms
from monitor.domain import Alert, MaintenanceWindow


@dataclass(frozen=True)
class PreparedCatalog:
    """A catalog with its compiled graph and matcher index, to reuse across calls."""

    catalog: Catalog
    graph: Graph
    index: MatchIndex

    @classmethod
    def of(cls, catalog: Catalog) -> PreparedCatalog:
        """Compile the graph and the matcher index of a catalog once (touchpoint symptoms added)."""
        extended = with_symptoms(catalog)
        return cls(catalog=catalog, graph=Graph.of(extended), index=MatchIndex.of(extended))


@dataclass(frozen=True)
class MaintenanceScope:
    """What active maintenance covers at one instant."""

    components: frozenset[str]
    touchpoints: Mapping[str, str]
    """Touchpoint → title of the (earliest) active window naming it."""

    @classmethod
    def at(cls, maintenance: Sequence[MaintenanceWindow], at: datetime) -> MaintenanceScope:
        """The components and touchpoints under maintenance at ``at``."""
        active = sorted((w for w in maintenance if w.covers(at)), key=lambda w: (w.starts_at, w.id))
        touchpoints: dict[str, str] = {}
        for window in active:
            for touchpoint in window.touchpoints:
                touchpoints.setdefault(touchpoint, window.title)
        return cls(
            components=frozenset(c for w in active for c in w.components),
            touchpoints=touchpoints,
        )


def situation_of(
    alerts: Iterable[Alert], *, prepared: PreparedCatalog, scope: MaintenanceScope
) -> Situation:
    """Record the alerts and propagate their levels from scratch."""
    book = AlertBook(prepared.index, under_maintenance=scope.components)
    for alert in alerts:
        book.apply(alert)
    real = Propagation.full(prepared.graph, book.own_levels(counted=True))
    shadow = (
        Propagation.full(prepared.graph, book.own_levels(counted=False))
        if scope.components
        else None
    )
    return Situation(
        graph=prepared.graph, book=book, real=real, shadow=shadow, listed=scope.touchpoints
    )


def correlate(
    alerts: Iterable[Alert],
    catalog: Catalog,
    *,
    maintenance: Sequence[MaintenanceWindow] = (),
    at: datetime,
    prepared: PreparedCatalog | None = None,
) -> CorrelationResult:
    """Health, touchpoint impact, unmapped and suppressed alerts for these alerts at ``at``.

    Pass ``prepared`` (built from the same catalog) to skip compiling the
    catalog on every call.
    """
    ready = prepared if prepared is not None else PreparedCatalog.of(catalog)
    situation = situation_of(alerts, prepared=ready, scope=MaintenanceScope.at(maintenance, at))
    return assemble(situation, at=at, impacts=impacts_of(situation, situation.candidates()))
