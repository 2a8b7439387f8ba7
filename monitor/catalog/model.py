"""The loaded catalog: components, redundancy groups, touchpoints, teams and the graph.

A ``Catalog`` is immutable once loaded and already validated (no dangling
references, no hard cycles, every touchpoint reaches a component), so the
correlation stage can walk it without defensive checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from monitor.domain import Component, Dependency, RedundancyGroup, Team, Touchpoint


@dataclass(frozen=True)
class Catalog:
    """The service model of one company."""

    company: str
    segments: tuple[str, ...]
    teams: Mapping[str, Team]
    components: Mapping[str, Component]
    groups: Mapping[str, RedundancyGroup]
    touchpoints: Mapping[str, Touchpoint]
    source: str = ""
    _dependants: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        company: str,
        segments: tuple[str, ...],
        teams: Mapping[str, Team],
        components: Mapping[str, Component],
        groups: Mapping[str, RedundancyGroup],
        touchpoints: Mapping[str, Touchpoint],
        source: str = "",
    ) -> Catalog:
        """Assemble a catalog and index who depends on what (nodes are ids of any kind)."""
        reverse: dict[str, list[str]] = {}
        for node, deps in _edges(components, groups, touchpoints):
            for dep in deps:
                reverse.setdefault(dep.target, []).append(node)
        return cls(
            company=company,
            segments=segments,
            teams=MappingProxyType(dict(teams)),
            components=MappingProxyType(dict(components)),
            groups=MappingProxyType(dict(groups)),
            touchpoints=MappingProxyType(dict(touchpoints)),
            source=source,
            _dependants=MappingProxyType({k: tuple(v) for k, v in reverse.items()}),
        )

    def dependencies_of(self, node: str) -> tuple[Dependency, ...]:
        """What a component, group or touchpoint depends on (group members as hard edges)."""
        if node in self.components:
            return self.components[node].depends_on
        if node in self.groups:
            return tuple(Dependency(m) for m in self.groups[node].members)
        if node in self.touchpoints:
            return self.touchpoints[node].depends_on
        return ()

    def dependants_of(self, node: str) -> tuple[str, ...]:
        """Ids of the components, groups and touchpoints that depend on ``node``."""
        return self._dependants.get(node, ())

    def team_channel(self, team_id: str) -> str | None:
        """The Slack channel of a team, when the team is known."""
        team = self.teams.get(team_id)
        return team.slack_channel if team else None


def _edges(
    components: Mapping[str, Component],
    groups: Mapping[str, RedundancyGroup],
    touchpoints: Mapping[str, Touchpoint],
) -> Iterator[tuple[str, tuple[Dependency, ...]]]:
    for cid, comp in components.items():
        yield cid, comp.depends_on
    for gid, group in groups.items():
        yield gid, tuple(Dependency(m) for m in group.members)
    for tid, tp in touchpoints.items():
        yield tid, tp.depends_on
