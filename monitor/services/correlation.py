"""The pipeline's live view of correlation: one ``TopologyState`` kept in step with the store.

The state lives in memory for speed and is rebuilt from the store's firing
alerts on start and after any failed batch, so it never drifts from what was
committed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.catalog import Catalog
from monitor.correlate.correlate import PreparedCatalog
from monitor.correlate.result import CorrelationResult
from monitor.correlate.topology import TopologyState, TouchpointTransition
from monitor.domain import Alert, AlertStatus, MaintenanceWindow, TouchpointState


@dataclass(frozen=True)
class AlertImpact:
    """What one alert is tied to, as the incident stage needs it."""

    components: frozenset[str]
    touchpoints: frozenset[str]
    unmapped: bool
    suppressed: bool
    transitions: tuple[TouchpointTransition, ...] = ()
    """Touchpoints whose published state this alert changed."""


@dataclass(frozen=True)
class IncidentPicture:
    """The customer-facing side of an incident, from its firing alerts."""

    touchpoints: dict[str, TouchpointState]
    components: tuple[str, ...]
    explanation: tuple[str, ...]
    root_cause_hint: str | None


class LiveCorrelation:
    """Incremental correlation over every firing alert the store holds."""

    def __init__(self, catalog: Catalog, *, at: datetime) -> None:
        self._catalog = catalog
        self._prepared = PreparedCatalog.of(catalog)
        self._maintenance: tuple[MaintenanceWindow, ...] = ()
        self._state = TopologyState(catalog, at=at, prepared=self._prepared)
        self._current: dict[str, datetime] = {}
        self._snapshot: CorrelationResult | None = None

    def reset(
        self, alerts: Iterable[Alert], *, maintenance: Sequence[MaintenanceWindow], at: datetime
    ) -> None:
        """Start again from these firing alerts and maintenance windows."""
        firing = [a for a in alerts if a.status is AlertStatus.FIRING]
        self._maintenance = tuple(maintenance)
        self._state = TopologyState(
            self._catalog, maintenance=self._maintenance, at=at, prepared=self._prepared
        )
        self._state.load(firing)
        self._current = {a.fingerprint: a.starts_at for a in firing}
        self._snapshot = None

    def advance(self, at: datetime) -> tuple[TouchpointTransition, ...]:
        """Move the clock (maintenance windows start and end with it); returns what changed."""
        transitions = self._state.advance(at)
        if transitions:
            self._snapshot = None
        return transitions

    def states(self) -> dict[str, TouchpointState]:
        """The published state of every touchpoint that is not operational."""
        return {t: i.state for t, i in self.result().touchpoints.items()}

    def apply(self, alert: Alert) -> AlertImpact:
        """Take one firing or resolved occurrence into account."""
        if alert.status is AlertStatus.RESOLVED and (
            self._current.get(alert.fingerprint) != alert.starts_at
        ):
            # An older occurrence resolving must not clear a newer one of the same series.
            return self.describe(alert)
        change = self._state.apply(alert)
        self._snapshot = None
        if alert.status is AlertStatus.FIRING:
            self._current[alert.fingerprint] = alert.starts_at
        else:
            self._current.pop(alert.fingerprint, None)
        return AlertImpact(
            components=change.components,
            touchpoints=change.impacted,
            unmapped=change.unmapped,
            suppressed=change.suppressed,
            transitions=change.touchpoints,
        )

    def describe(self, alert: Alert) -> AlertImpact:
        """What an alert would be tied to, without changing the state."""
        components = self._prepared.index.components_for(alert.labels)
        return AlertImpact(
            components=components,
            touchpoints=frozenset(),
            unmapped=not components,
            suppressed=False,
        )

    def result(self) -> CorrelationResult:
        """The full current correlation (cached until the next change)."""
        if self._snapshot is None:
            self._snapshot = self._state.snapshot()
        return self._snapshot

    def picture(self, fingerprints: Collection[str]) -> IncidentPicture:
        """The touchpoints, explanation and root-cause hint of a set of firing alerts."""
        result = self.result()
        mine = set(fingerprints)
        impacts = [i for i in result.touchpoints.values() if i.alerts & mine]
        components = sorted(
            {c for fp in mine for c in result.alert_components.get(fp, frozenset())}
        )
        lines: list[str] = []
        for impact in sorted(impacts, key=lambda i: i.touchpoint):
            lines.extend(impact.explanation)
        touchpoints = [i.touchpoint for i in impacts]
        return IncidentPicture(
            touchpoints={i.touchpoint: i.state for i in impacts},
            components=tuple(components),
            explanation=tuple(lines),
            root_cause_hint=result.root_cause_for(touchpoints) if touchpoints else None,
        )
