"""Spread component health along the dependency graph, in full or incrementally.

Rules (levels up < unknown < degraded < down, see ``health``):

* Component: effective health = worst(own health, what each dependency passes on).
  A hard dependency passes on down as down and degraded as degraded; a soft
  dependency passes on down or degraded as degraded. Unknown and up pass on
  nothing: unknown means "we cannot tell", and guessing a failure from it
  would page people for a blind spot.
* Redundancy group of ``min_up``: down when fewer than ``min_up`` members are
  not down; degraded when fewer than ``min_up`` members are up; up otherwise.
  An unknown member counts as up (again: no failure is invented). So losing
  one of two replicas with ``min_up: 1`` leaves the group up: the loss shows
  on the replica itself, not on what the group serves.
* Touchpoint (before maintenance, see ``touchpoint_state``): a hard
  dependency down → major_outage; else a soft dependency down →
  partial_outage; else any dependency degraded → degraded_performance; else
  operational.

The effective health is the least fixed point of these rules starting from
the own health, which also settles soft cycles (the loader only forbids hard
ones): a cycle never keeps itself failing. ``Propagation`` reaches that fixed
point from scratch (``full``) or after own-health changes (``set_own``), and
only visits what a change reaches: a worsening walks up from the changed
component while values change; an improvement resets the failing part of its
dependants closure to own health and rebuilds it from there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from monitor.correlate.graph import Graph, NodeKind
from monitor.correlate.health import DEGRADED, DOWN, UNKNOWN, UP
from monitor.domain import TouchpointState

_OPERATIONAL = TouchpointState.OPERATIONAL


@dataclass
class Delta:
    """What one update changed: first and last value of every node and touchpoint it touched."""

    nodes: dict[str, tuple[int, int]] = field(default_factory=dict)
    touchpoints: dict[str, tuple[TouchpointState, TouchpointState]] = field(default_factory=dict)

    def changed_nodes(self) -> dict[str, tuple[int, int]]:
        """Nodes whose level differs after the update."""
        return {n: ba for n, ba in self.nodes.items() if ba[0] != ba[1]}

    def changed_touchpoints(self) -> dict[str, tuple[TouchpointState, TouchpointState]]:
        """Touchpoints whose state (before maintenance) differs after the update."""
        return {t: ba for t, ba in self.touchpoints.items() if ba[0] != ba[1]}


class Propagation:
    """Effective levels of every node for a set of own levels; kept current on change.

    ``levels`` and ``states`` only hold nodes that are not up and touchpoints
    that are not operational, so a quiet catalog of thousands costs nothing.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.own: dict[str, int] = {}
        self.levels: dict[str, int] = {}
        self.states: dict[str, TouchpointState] = {}

    @classmethod
    def full(cls, graph: Graph, own: Mapping[str, int]) -> Propagation:
        """Compute every node's level from scratch for these own levels."""
        prop = cls(graph)
        prop.own = {n: lv for n, lv in own.items() if lv > UP and n in graph.kinds}
        prop.levels = dict(prop.own)
        seeds = list(prop.levels)
        for gid in graph.min_up:
            level = prop.evaluate(gid)
            if level > UP:
                prop.levels[gid] = level
                seeds.append(gid)
        prop._raise(seeds, Delta())
        return prop

    def level(self, node: str) -> int:
        """Effective level of a node (up when not failing)."""
        return self.levels.get(node, UP)

    def state(self, touchpoint: str) -> TouchpointState:
        """A touchpoint's state from its dependencies, before maintenance."""
        return self.states.get(touchpoint, _OPERATIONAL)

    def set_own(self, changes: Mapping[str, int]) -> Delta:
        """Change some components' own levels and bring everything they reach up to date."""
        delta = Delta()
        lowered = [n for n, lv in changes.items() if lv < self.own.get(n, UP)]
        raised = [n for n, lv in changes.items() if lv > self.own.get(n, UP)]
        for node in lowered:
            self._put_own(node, changes[node])
        if lowered:
            self._lower(lowered, delta)
        for node in raised:
            self._put_own(node, changes[node])
        seeds = [n for n in raised if self._lift(n, delta)]
        self._raise(seeds, delta)
        return delta

    def evaluate(self, node: str) -> int:
        """The level the rules give a component or group from current dependency levels."""
        levels = self.levels
        if node in self.graph.min_up:
            return _group_level(
                [levels.get(m, UP) for m, _ in self.graph.depends[node]], self.graph.min_up[node]
            )
        level = self.own.get(node, UP)
        for target, hard in self.graph.depends[node]:
            dep = levels.get(target, UP)
            if dep == DOWN:
                if hard:
                    return DOWN
                level = max(level, DEGRADED)
            elif dep == DEGRADED:
                level = max(level, DEGRADED)
        return level

    def evaluate_touchpoint(self, touchpoint: str) -> TouchpointState:
        """A touchpoint's state from its dependencies' current levels."""
        soft_down = degraded = False
        for target, hard in self.graph.depends[touchpoint]:
            dep = self.levels.get(target, UP)
            if dep == DOWN:
                if hard:
                    return TouchpointState.MAJOR_OUTAGE
                soft_down = True
            elif dep == DEGRADED:
                degraded = True
        if soft_down:
            return TouchpointState.PARTIAL_OUTAGE
        return TouchpointState.DEGRADED_PERFORMANCE if degraded else _OPERATIONAL

    def failing_reach(self, starts: Iterable[str]) -> tuple[set[str], set[str]]:
        """Nodes reached from ``starts`` through failing dependants, and the touchpoints reached."""
        seen = set(starts)
        touchpoints: set[str] = set()
        queue = deque(seen)
        kinds, dependants, levels = self.graph.kinds, self.graph.dependants, self.levels
        while queue:
            for dep in dependants.get(queue.popleft(), ()):
                if kinds[dep] is NodeKind.TOUCHPOINT:
                    touchpoints.add(dep)
                elif dep not in seen and levels.get(dep, UP) >= DEGRADED:
                    seen.add(dep)
                    queue.append(dep)
        return seen, touchpoints

    def _put_own(self, node: str, level: int) -> None:
        if level > UP:
            self.own[node] = level
        else:
            self.own.pop(node, None)

    def _set_level(self, node: str, level: int, delta: Delta) -> None:
        old = self.levels.get(node, UP)
        first = delta.nodes.get(node, (old, old))[0]
        delta.nodes[node] = (first, level)
        if level > UP:
            self.levels[node] = level
        else:
            self.levels.pop(node, None)

    def _lift(self, node: str, delta: Delta) -> bool:
        level = self.evaluate(node)
        if level <= self.levels.get(node, UP):
            return False
        self._set_level(node, level, delta)
        return True

    def _refresh_touchpoint(self, touchpoint: str, delta: Delta) -> None:
        old = self.states.get(touchpoint, _OPERATIONAL)
        new = self.evaluate_touchpoint(touchpoint)
        first = delta.touchpoints.get(touchpoint, (old, old))[0]
        delta.touchpoints[touchpoint] = (first, new)
        if new is _OPERATIONAL:
            self.states.pop(touchpoint, None)
        else:
            self.states[touchpoint] = new

    def _raise(self, seeds: Iterable[str], delta: Delta) -> None:
        """Kleene iteration upwards: values only grow, so it ends at the least fixed point."""
        queue = deque(seeds)
        kinds, dependants = self.graph.kinds, self.graph.dependants
        while queue:
            for dep in dependants.get(queue.popleft(), ()):
                if kinds[dep] is NodeKind.TOUCHPOINT:
                    self._refresh_touchpoint(dep, delta)
                elif self._lift(dep, delta):
                    queue.append(dep)

    def _lower(self, starts: list[str], delta: Delta) -> None:
        """Rebuild the failing part of the dependants closure after own levels went down.

        Only nodes reached through failing dependants can have been held up by
        the old levels; everything else keeps its value. Resetting those to
        own health and iterating upwards again gives the least fixed point,
        exactly as a full computation would.
        """
        region, touchpoints = self.failing_reach(starts)
        groups = self.graph.min_up
        for node in region:
            self._set_level(node, UP if node in groups else self.own.get(node, UP), delta)
        seeds = [n for n in region if self._lift(n, delta)]
        self._raise(seeds, delta)
        for touchpoint in touchpoints:
            self._refresh_touchpoint(touchpoint, delta)


def _group_level(members: list[int], min_up: int) -> int:
    not_down = sum(1 for lv in members if lv < DOWN)
    if not_down < min_up:
        return DOWN
    up = sum(1 for lv in members if lv <= UNKNOWN)
    return DEGRADED if up < min_up else UP


def propagate(graph: Graph, own: Mapping[str, int]) -> Propagation:
    """Effective levels of every node for these own levels (component id → level)."""
    return Propagation.full(graph, own)


def touchpoint_state(
    real: TouchpointState, *, would_fail: TouchpointState, listed: bool
) -> TouchpointState:
    """A touchpoint's published state once maintenance is taken into account.

    ``real`` ignores alerts on components under maintenance; ``would_fail`` is
    the state had they counted. A real failure always shows (customers must
    hear about what maintenance does not explain). Otherwise the touchpoint is
    under_maintenance when a window lists it or when its only failures come
    from components under maintenance.
    """
    if real is not _OPERATIONAL:
        return real
    if listed or would_fail is not _OPERATIONAL:
        return TouchpointState.UNDER_MAINTENANCE
    return _OPERATIONAL
