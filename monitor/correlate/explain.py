"""Say why a touchpoint fails: the paths from alerting components to it, and their common root.

A failure path follows dependencies from the touchpoint through failing nodes
(degraded or down) only, so a healthy redundancy group stops it: one dead
replica behind a group that still holds does not explain anything. A root is a
component on such a path whose own alerts make it fail. Each root gets one
line, along its shortest path (breadth-first from the touchpoint), nearest
roots first, e.g.::

    card-payments ← card-auth ← db-primary-eu (alert PostgresDown)

At most ``limit`` lines are written, then "+N more". The root cause hint for a
set of touchpoints is the failing component present on the failure paths of
every one of them that lies farthest from them (largest total number of hops,
ties broken by id): when a region fails, the region, not the database inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.correlate.health import DEGRADED, UP
from monitor.correlate.propagate import Propagation

ARROW = " ← "
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class Trace:
    """The failing part of one touchpoint's dependencies."""

    hops: Mapping[str, int]
    """Failing node (component or group) → dependency hops from the touchpoint."""
    parent: Mapping[str, str]
    """Failing node → the node one step nearer the touchpoint on a shortest path."""
    roots: tuple[str, ...]
    """Components failing on their own account, nearest first."""


def failing_nodes(prop: Propagation) -> frozenset[str]:
    """The nodes that are degraded or down."""
    return frozenset(n for n, level in prop.levels.items() if level >= DEGRADED)


def trace(prop: Propagation, touchpoint: str, failing: frozenset[str] | None = None) -> Trace:
    """Walk a touchpoint's dependencies through failing nodes, breadth first.

    ``failing`` (from ``failing_nodes``) saves recomputing it when tracing many touchpoints.
    """
    hops: dict[str, int] = {}
    parent: dict[str, str] = {}
    depends = prop.graph.depends
    failing = failing if failing is not None else failing_nodes(prop)
    frontier = [touchpoint]
    step = 0
    while frontier:
        step += 1
        reached = []
        for node in frontier:
            for target, _ in depends.get(node, ()):
                if target in failing and target not in hops:
                    hops[target] = step
                    parent[target] = node
                    reached.append(target)
        frontier = reached
    hops.pop(touchpoint, None)
    parent.pop(touchpoint, None)
    own = prop.own
    roots = sorted((n for n in hops if own.get(n, UP) >= DEGRADED), key=lambda n: (hops[n], n))
    return Trace(hops=hops, parent=parent, roots=tuple(roots))


def path_to(trace_: Trace, root: str) -> list[str]:
    """Node ids from the touchpoint down to ``root`` along the recorded shortest path."""
    chain = [root]
    while chain[-1] in trace_.parent:
        chain.append(trace_.parent[chain[-1]])
    chain.reverse()
    return chain


def explanation(
    trace_: Trace,
    *,
    alert_names: Mapping[str, Sequence[str]],
    note: str = "",
    limit: int = DEFAULT_LIMIT,
) -> tuple[str, ...]:
    """One line per root: the path from the touchpoint to it and the alerts that fire there."""
    lines = [
        ARROW.join(path_to(trace_, root)) + _alerts_suffix(alert_names.get(root, ()), note)
        for root in trace_.roots[:limit]
    ]
    hidden = len(trace_.roots) - limit
    if hidden > 0:
        lines.append(f"+{hidden} more")
    return tuple(lines)


def _alerts_suffix(names: Sequence[str], note: str) -> str:
    unique = sorted(set(names))
    word = "alert" if len(unique) == 1 else "alerts"
    text = f"{word} {', '.join(unique)}" if unique else ""
    parts = [p for p in (text, note) if p]
    return f" ({'; '.join(parts)})" if parts else ""


def common_root(hops_by_touchpoint: Iterable[Mapping[str, int]]) -> str | None:
    """The failing component shared by every failure map that is farthest from the touchpoints."""
    maps = list(hops_by_touchpoint)
    if not maps:
        return None
    sizes = [len(h) for h in maps]
    shared = set(maps[sizes.index(min(sizes))])
    for hops in maps:
        shared.intersection_update(hops)
        if not shared:
            return None
    return min(shared, key=lambda n: (-sum(h[n] for h in maps), n))
