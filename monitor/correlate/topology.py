"""Correlation kept current one alert at a time.

``TopologyState.apply`` updates the alert book, then only what the alert's
components reach: propagation walks their failing dependants, and the
explanations of the touchpoints on those paths are marked stale and rebuilt
on the next ``snapshot``. ``snapshot()`` equals ``correlate()`` over the same
current alerts; the tests hold the two to that after random sequences.

Maintenance windows depend on the clock: ``advance(at)`` moves it, and when
the set of active windows changes, everything is recomputed from scratch (a
rare event, so simplicity wins over speed there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.catalog.model import Catalog
from monitor.correlate.book import BookChange
from monitor.correlate.correlate import MaintenanceScope, PreparedCatalog, situation_of
from monitor.correlate.health import DEGRADED, as_health
from monitor.correlate.propagate import Delta, Propagation, touchpoint_state
from monitor.correlate.result import (
    CorrelationResult,
    RootMemo,
    Situation,
    TouchpointImpact,
    assemble,
)
from monitor.domain import Alert, ComponentHealth, MaintenanceWindow, TouchpointState


@dataclass(frozen=True)
class TouchpointTransition:
    """A touchpoint whose published state changed."""

    touchpoint: str
    before: TouchpointState
    after: TouchpointState


@dataclass(frozen=True)
class TopologyChange:
    """What one alert changed."""

    alert: Alert
    components: frozenset[str]
    """Components the alert is about (for a resolved alert: those it was about)."""
    unmapped: bool
    """Firing and about no catalog component."""
    suppressed: bool
    """Firing, mapped, and every component is under maintenance."""
    health: Mapping[str, tuple[ComponentHealth, ComponentHealth]]
    """Components and groups whose effective health changed → (before, after)."""
    touchpoints: tuple[TouchpointTransition, ...]
    """Touchpoints whose published state changed, by id."""
    impacted: frozenset[str]
    """Non-operational touchpoints that this alert's failing components reach."""


class TopologyState:
    """Mutable correlation state for a stream of alerts; ``snapshot`` gives the full result."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        maintenance: Sequence[MaintenanceWindow] = (),
        at: datetime,
        prepared: PreparedCatalog | None = None,
    ) -> None:
        self._prepared = prepared if prepared is not None else PreparedCatalog.of(catalog)
        self._maintenance = tuple(maintenance)
        self._at = at
        self._scope = MaintenanceScope.at(self._maintenance, at)
        self._situation = situation_of((), prepared=self._prepared, scope=self._scope)
        self._impacts: dict[str, TouchpointImpact | None] = {}

    @property
    def at(self) -> datetime:
        """The instant maintenance windows are evaluated at."""
        return self._at

    def alerts(self) -> tuple[Alert, ...]:
        """The firing alerts currently held, in the order of their latest update."""
        return tuple(e.alert for e in self._situation.book.entries.values())

    def load(self, alerts: Iterable[Alert]) -> None:
        """Add many alerts at once, recomputing from scratch (faster than applying each)."""
        self._rebuild([*self.alerts(), *alerts])

    def apply(self, alert: Alert) -> TopologyChange:
        """Upsert a firing alert or remove a resolved one; recompute what it reaches."""
        situation = self._situation
        change = situation.book.apply(alert)
        touched = change.touched
        engines = [e for e in (situation.real, situation.shadow) if e is not None]
        wanted = [self._own_changes(e, touched, counted=e is situation.real) for e in engines]
        # A touchpoint's explanation can change when the alert was or is on one
        # of its failure paths: walk those paths before an improvement (they
        # shrink) and after a worsening (they grow).
        stale: set[str] = set()
        if any(_lowers(e, w) for e, w in zip(engines, wanted, strict=True)) or _mentions(change):
            stale |= self._reach(engines, touched)
        deltas = [e.set_own(w) for e, w in zip(engines, wanted, strict=True)]
        if any(w for w in wanted) or _mentions(change):
            stale |= self._reach(engines, touched)
        for delta in deltas:
            stale |= delta.touchpoints.keys()
        for touchpoint in stale:
            self._impacts.pop(touchpoint, None)
        return self._change(alert, change, deltas)

    def advance(self, at: datetime) -> tuple[TouchpointTransition, ...]:
        """Move the clock; when active maintenance changes, recompute and report transitions."""
        self._at = at
        scope = MaintenanceScope.at(self._maintenance, at)
        if scope == self._scope:
            return ()
        before = {t: self._situation.published_state(t) for t in self._situation.candidates()}
        self._scope = scope
        self._rebuild(list(self.alerts()))
        after = {t: self._situation.published_state(t) for t in self._situation.candidates()}
        op = TouchpointState.OPERATIONAL
        return tuple(
            TouchpointTransition(t, before.get(t, op), after.get(t, op))
            for t in sorted(before.keys() | after.keys())
            if before.get(t, op) != after.get(t, op)
        )

    def snapshot(self) -> CorrelationResult:
        """The full correlation result for the current alerts, equal to ``correlate``'s."""
        situation = self._situation
        impacts: dict[str, TouchpointImpact] = {}
        memo = RootMemo()
        for touchpoint in situation.candidates():
            if touchpoint not in self._impacts:
                self._impacts[touchpoint] = situation.impact(touchpoint, memo)
            impact = self._impacts[touchpoint]
            if impact is not None:
                impacts[touchpoint] = impact
        return assemble(situation, at=self._at, impacts=impacts)

    def _rebuild(self, alerts: list[Alert]) -> None:
        self._situation = situation_of(alerts, prepared=self._prepared, scope=self._scope)
        self._impacts.clear()

    def _own_changes(
        self, engine: Propagation, touched: frozenset[str], *, counted: bool
    ) -> dict[str, int]:
        book = self._situation.book
        found: dict[str, int] = {}
        for component in touched:
            level = book.own(component, counted=counted)
            if level != engine.own.get(component, 0):
                found[component] = level
        return found

    @staticmethod
    def _reach(engines: list[Propagation], starts: frozenset[str]) -> set[str]:
        reached: set[str] = set()
        for engine in engines:
            reached |= engine.failing_reach(starts)[1]
        return reached

    def _change(self, alert: Alert, change: BookChange, deltas: list[Delta]) -> TopologyChange:
        situation = self._situation
        after = change.after
        real_delta = deltas[0]
        shadow_delta = deltas[1] if len(deltas) > 1 else real_delta
        transitions = []
        for touchpoint in sorted(real_delta.touchpoints.keys() | shadow_delta.touchpoints.keys()):
            old = touchpoint_state(
                _first(real_delta, situation.real, touchpoint),
                would_fail=_first(shadow_delta, situation.shadow or situation.real, touchpoint),
                listed=touchpoint in situation.listed,
            )
            new = situation.published_state(touchpoint)
            if old != new:
                transitions.append(TouchpointTransition(touchpoint, old, new))
        return TopologyChange(
            alert=alert,
            components=after.components if after else change.touched,
            unmapped=after is not None and not after.components,
            suppressed=after is not None and after.suppressed,
            health={
                n: (as_health(b), as_health(a)) for n, (b, a) in real_delta.changed_nodes().items()
            },
            touchpoints=tuple(transitions),
            impacted=self._impacted(situation, change),
        )

    @staticmethod
    def _impacted(situation: Situation, change: BookChange) -> frozenset[str]:
        after = change.after
        if after is None or after.level < DEGRADED:
            return frozenset()
        starts = [c for c in after.counted if situation.real.level(c) >= DEGRADED]
        if not starts:
            return frozenset()
        reached = situation.real.failing_reach(starts)[1]
        return frozenset(
            t for t in reached if situation.published_state(t) is not TouchpointState.OPERATIONAL
        )


def _first(delta: Delta, engine: Propagation, touchpoint: str) -> TouchpointState:
    """A touchpoint's state before the update that produced ``delta``."""
    recorded = delta.touchpoints.get(touchpoint)
    return recorded[0] if recorded else engine.state(touchpoint)


def _lowers(engine: Propagation, wanted: Mapping[str, int]) -> bool:
    return any(level < engine.own.get(c, 0) for c, level in wanted.items())


def _mentions(change: BookChange) -> bool:
    """True when the alert appears, or appeared, in explanations (it makes something fail)."""
    return any(e is not None and e.level >= DEGRADED for e in (change.before, change.after))
