"""The catalog's dependency graph in the compact form propagation walks.

Built once per catalog. Nodes are component, redundancy-group and touchpoint
ids (one namespace, as in the catalog); edges carry whether they are hard.
Group members are hard edges, as ``Catalog.dependencies_of`` reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from monitor.catalog.model import Catalog
from monitor.domain import DependencyKind


class NodeKind(Enum):
    """What a graph node is."""

    COMPONENT = "component"
    GROUP = "group"
    TOUCHPOINT = "touchpoint"


Edge = tuple[str, bool]
"""(target id, is_hard)."""


@dataclass(frozen=True)
class Graph:
    """Dependencies and dependants of every node, with group quorums."""

    kinds: Mapping[str, NodeKind]
    depends: Mapping[str, tuple[Edge, ...]]
    dependants: Mapping[str, tuple[str, ...]]
    min_up: Mapping[str, int]
    """Redundancy group id → how many members must be up."""

    @classmethod
    def of(cls, catalog: Catalog) -> Graph:
        """Compile a catalog's graph (dangling targets are ignored, the loader rejects them)."""
        kinds: dict[str, NodeKind] = {}
        kinds.update(dict.fromkeys(catalog.touchpoints, NodeKind.TOUCHPOINT))
        kinds.update(dict.fromkeys(catalog.groups, NodeKind.GROUP))
        kinds.update(dict.fromkeys(catalog.components, NodeKind.COMPONENT))
        depends: dict[str, tuple[Edge, ...]] = {}
        for node in kinds:
            depends[node] = tuple(
                (dep.target, dep.kind is DependencyKind.HARD)
                for dep in catalog.dependencies_of(node)
                if dep.target in kinds
            )
        dependants: dict[str, list[str]] = {}
        for node, edges in depends.items():
            for target, _ in edges:
                dependants.setdefault(target, []).append(node)
        return cls(
            kinds=kinds,
            depends=depends,
            dependants={node: tuple(dict.fromkeys(ds)) for node, ds in dependants.items()},
            min_up={gid: group.min_up for gid, group in catalog.groups.items()},
        )

    def is_touchpoint(self, node: str) -> bool:
        """True when the node is a customer touchpoint."""
        return self.kinds.get(node) is NodeKind.TOUCHPOINT
