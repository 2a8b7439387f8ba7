"""What correlation answers, and how it is assembled from the alert book and propagation.

Both the full computation (``correlate``) and the incremental one
(``TopologyState``) describe their current situation through ``Situation`` so
that the two produce identical results by construction of the output, and
differ only in how they reached the levels (which the tests compare).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitor.correlate.book import AlertBook, Entry
from monitor.correlate.explain import common_root, explanation, failing_nodes, trace
from monitor.correlate.graph import Graph
from monitor.correlate.health import DEGRADED, as_health
from monitor.correlate.match import clean_labels
from monitor.correlate.propagate import Propagation, touchpoint_state
from monitor.domain import Alert, ComponentHealth, TouchpointState

MAINTENANCE_NOTE = "under maintenance"


@dataclass
class RootMemo:
    """Work shared by the touchpoints of one result; must not outlive a change of alerts."""

    roots: dict[tuple[str, bool], tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    failing: dict[int, frozenset[str]] = field(default_factory=dict)

    def failing_of(self, prop: Propagation) -> frozenset[str]:
        """The failing nodes of one propagation, computed once."""
        if id(prop) not in self.failing:
            self.failing[id(prop)] = failing_nodes(prop)
        return self.failing[id(prop)]


_NAME_LIMIT = 120


@dataclass(frozen=True)
class TouchpointImpact:
    """How one touchpoint is affected and why."""

    touchpoint: str
    state: TouchpointState
    explanation: tuple[str, ...]
    alerts: frozenset[str]
    """Fingerprints of the alerts that make its root components fail."""
    roots: frozenset[str]
    """Components failing on their own account that its failure paths reach."""
    failing: Mapping[str, int]
    """Failing components on its failure paths → dependency hops from the touchpoint."""


@dataclass(frozen=True)
class CorrelationResult:
    """Alerts × catalog at one instant: health, touchpoint impact, and what fits nowhere."""

    at: datetime
    health: Mapping[str, ComponentHealth]
    """Effective health of every component and group that is not up."""
    touchpoints: Mapping[str, TouchpointImpact]
    """Every touchpoint that is not operational."""
    unmapped: tuple[Alert, ...]
    """Firing alerts about no catalog component, by fingerprint."""
    suppressed: tuple[Alert, ...]
    """Firing alerts whose every component is under maintenance, by fingerprint."""
    alert_components: Mapping[str, frozenset[str]]
    """Fingerprint of every mapped firing alert → component ids."""
    root_cause_hint: str | None
    """Deepest failing component shared by every touchpoint failure outside maintenance."""

    def state_of(self, touchpoint: str) -> TouchpointState:
        """A touchpoint's state (operational when not listed)."""
        impact = self.touchpoints.get(touchpoint)
        return impact.state if impact else TouchpointState.OPERATIONAL

    def health_of(self, node: str) -> ComponentHealth:
        """A component's or group's effective health (up when not listed)."""
        return self.health.get(node, ComponentHealth.UP)

    def root_cause_for(self, touchpoints: Iterable[str]) -> str | None:
        """The deepest failing component shared by these touchpoints' failure paths."""
        impacts = [self.touchpoints[t] for t in touchpoints if t in self.touchpoints]
        return common_root(i.failing for i in impacts) if impacts else None


@dataclass(frozen=True)
class Situation:
    """The live pieces a result is read from."""

    graph: Graph
    book: AlertBook
    real: Propagation
    """Levels from counted alerts only."""
    shadow: Propagation | None
    """Levels as if maintenance did not exist; None when no component is under maintenance."""
    listed: Mapping[str, str]
    """Touchpoints named by an active maintenance window → the window's title."""

    def would_fail(self, touchpoint: str) -> TouchpointState:
        """A touchpoint's state had alerts under maintenance counted."""
        return (self.shadow or self.real).state(touchpoint)

    def published_state(self, touchpoint: str) -> TouchpointState:
        """A touchpoint's state with maintenance applied."""
        return touchpoint_state(
            self.real.state(touchpoint),
            would_fail=self.would_fail(touchpoint),
            listed=touchpoint in self.listed,
        )

    def candidates(self) -> set[str]:
        """Touchpoints that may be non-operational."""
        found = set(self.real.states) | set(self.listed)
        if self.shadow is not None:
            found |= set(self.shadow.states)
        return found

    def impact(self, touchpoint: str, memo: RootMemo | None = None) -> TouchpointImpact | None:
        """The impact on one touchpoint, None when it is operational.

        ``memo`` shares the alert names of root components between the
        touchpoints of one result; it must not outlive a change of alerts.
        """
        memo = memo if memo is not None else RootMemo()
        state = self.published_state(touchpoint)
        if state is TouchpointState.OPERATIONAL:
            return None
        if state is not TouchpointState.UNDER_MAINTENANCE:
            return self._traced(touchpoint, state, self.real, memo, counted=True)
        if self.would_fail(touchpoint) is not TouchpointState.OPERATIONAL:
            return self._traced(touchpoint, state, self.shadow or self.real, memo, counted=False)
        title = self.listed.get(touchpoint, "")
        return TouchpointImpact(
            touchpoint=touchpoint,
            state=state,
            explanation=(f"{touchpoint} {MAINTENANCE_NOTE} ({title})",),
            alerts=frozenset(),
            roots=frozenset(),
            failing={},
        )

    def _traced(
        self,
        touchpoint: str,
        state: TouchpointState,
        prop: Propagation,
        memo: RootMemo,
        *,
        counted: bool,
    ) -> TouchpointImpact:
        found = trace(prop, touchpoint, memo.failing_of(prop))
        names: dict[str, tuple[str, ...]] = {}
        alerts: set[str] = set()
        for root in found.roots:
            fingerprints, names[root] = self._root_alerts(root, memo, counted=counted)
            alerts.update(fingerprints)
        groups = self.graph.min_up
        return TouchpointImpact(
            touchpoint=touchpoint,
            state=state,
            explanation=explanation(
                found, alert_names=names, note="" if counted else MAINTENANCE_NOTE
            ),
            alerts=frozenset(alerts),
            roots=frozenset(found.roots),
            failing={n: h for n, h in found.hops.items() if n not in groups},
        )

    def _root_alerts(
        self, root: str, memo: RootMemo, *, counted: bool
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Fingerprints and names of the alerts that make a root fail."""
        key = (root, counted)
        if key not in memo.roots:
            failing = [
                fp
                for fp, level in self.book.alerts_on(root, counted=counted).items()
                if level >= DEGRADED
            ]
            names = tuple(_short(self.book.entries[fp]) for fp in failing)
            memo.roots[key] = (tuple(failing), names)
        return memo.roots[key]


def _short(entry: Entry) -> str:
    """The alert's name, shortened: names come from outside and may be huge."""
    name = clean_labels(entry.alert.labels).get("alertname") or "(unnamed alert)"
    return name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 1] + "…"


def assemble(
    situation: Situation, *, at: datetime, impacts: Mapping[str, TouchpointImpact]
) -> CorrelationResult:
    """Build the result from a situation and its (possibly cached) touchpoint impacts."""
    book = situation.book
    outside_maintenance = [
        i for i in impacts.values() if i.state is not TouchpointState.UNDER_MAINTENANCE
    ]
    return CorrelationResult(
        at=at,
        health={n: as_health(lv) for n, lv in situation.real.levels.items()},
        touchpoints=dict(impacts),
        unmapped=tuple(sorted((e.alert for e in book.unmapped()), key=_by_fingerprint)),
        suppressed=tuple(sorted((e.alert for e in book.suppressed()), key=_by_fingerprint)),
        alert_components={fp: e.components for fp, e in book.entries.items() if e.components},
        root_cause_hint=(
            common_root(i.failing for i in outside_maintenance) if outside_maintenance else None
        ),
    )


def _by_fingerprint(alert: Alert) -> str:
    return alert.fingerprint


def impacts_of(situation: Situation, touchpoints: Iterable[str]) -> dict[str, TouchpointImpact]:
    """The impacts of the given touchpoints that are not operational."""
    found: dict[str, TouchpointImpact] = {}
    memo = RootMemo()
    for touchpoint in touchpoints:
        impact = situation.impact(touchpoint, memo)
        if impact is not None:
            found[touchpoint] = impact
    return found
