"""Load and validate a catalog file: every problem listed with its location, nothing half-loaded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from monitor.catalog.model import Catalog
from monitor.catalog.schema import (
    CatalogSpec,
    ComponentSpec,
    DependencyEntry,
    DependencySpec,
    RedundancyGroupSpec,
    Strict,
    TeamSpec,
    TouchpointSpec,
    parse_matcher,
)
from monitor.domain import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    EstimatorSpec,
    Matcher,
    MatchOp,
    RedundancyGroup,
    Team,
    Touchpoint,
)
from monitor.errors import CatalogError, ConfigError, Problem
from monitor.yamlfile import YamlDocument, parse_yaml_text, read_yaml_file

_M = TypeVar("_M", bound=Strict)


def load_catalog(path: Path) -> Catalog:
    """Read, validate and build the catalog at ``path``; CatalogError lists every problem."""
    try:
        doc = read_yaml_file(path)
    except ConfigError as exc:
        raise CatalogError(exc.problems) from exc
    return catalog_from_document(doc)


def parse_catalog_text(text: str, *, file: str = "<catalog>") -> Catalog:
    """Build a catalog from YAML text (tests, API uploads); same checks as ``load_catalog``."""
    try:
        doc = parse_yaml_text(text, file=file)
    except ConfigError as exc:
        raise CatalogError(exc.problems) from exc
    return catalog_from_document(doc)


def catalog_from_document(doc: YamlDocument) -> Catalog:
    """Validate a parsed document's schema and graph, then build the catalog.

    When the schema fails, the items that are valid on their own are still
    checked as a graph, so one run lists every problem rather than the first kind.
    """
    problems: list[Problem] = []
    spec: CatalogSpec | None = None
    try:
        spec = CatalogSpec.model_validate(doc.data)
        view = _View.of(spec)
    except ValidationError as exc:
        problems.extend(_schema_problems(doc, exc))
        view = _View.salvage(doc.data)
    problems.extend(_graph_problems(doc, view))
    if problems or spec is None:
        raise CatalogError(problems)
    return _build(spec, source=doc.file)


@dataclass(frozen=True)
class _View:
    """The items of each section that validated, with their index in the file."""

    segments: frozenset[str]
    teams: list[tuple[int, TeamSpec]]
    components: list[tuple[int, ComponentSpec]]
    groups: list[tuple[int, RedundancyGroupSpec]]
    touchpoints: list[tuple[int, TouchpointSpec]]
    raw_ids: dict[str, frozenset[str]]

    @classmethod
    def of(cls, spec: CatalogSpec) -> _View:
        return cls(
            segments=frozenset(spec.company.segments),
            teams=list(enumerate(spec.teams)),
            components=list(enumerate(spec.components)),
            groups=list(enumerate(spec.redundancy_groups)),
            touchpoints=list(enumerate(spec.touchpoints)),
            raw_ids={
                "teams": frozenset(t.id for t in spec.teams),
                "nodes": frozenset(
                    [c.id for c in spec.components] + [g.id for g in spec.redundancy_groups]
                ),
                "components": frozenset(c.id for c in spec.components),
            },
        )

    @classmethod
    def salvage(cls, data: Any) -> _View:
        root = data if isinstance(data, dict) else {}

        def items(section: str, model: type[_M]) -> list[tuple[int, _M]]:
            raw = root.get(section)
            found: list[tuple[int, _M]] = []
            for i, item in enumerate(raw if isinstance(raw, list) else []):
                try:
                    found.append((i, model.model_validate(item)))
                except ValidationError:
                    continue
            return found

        def ids(*sections: str) -> frozenset[str]:
            found: set[str] = set()
            for section in sections:
                raw = root.get(section)
                for item in raw if isinstance(raw, list) else []:
                    if isinstance(item, dict) and "id" in item:
                        found.add(str(item["id"]))
            return frozenset(found)

        company = root.get("company")
        segs = company.get("segments") if isinstance(company, dict) else None
        return cls(
            segments=frozenset(str(s) for s in segs) if isinstance(segs, list) else frozenset(),
            teams=items("teams", TeamSpec),
            components=items("components", ComponentSpec),
            groups=items("redundancy_groups", RedundancyGroupSpec),
            touchpoints=items("touchpoints", TouchpointSpec),
            raw_ids={
                "teams": ids("teams"),
                "nodes": ids("components", "redundancy_groups"),
                "components": ids("components"),
            },
        )


def _schema_problems(doc: YamlDocument, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for err in exc.errors(include_url=False):
        # Union types report one error per alternative; keep the path that the
        # document really has and drop the synthetic union-member segment.
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
        key = (loc, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(doc.problem(loc, message))
    return problems


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part.startswith(("list[", "function-", "constrained-str"))
        or part in ("str", "DependencySpec", "int", "float")
    )


def _dep(entry: DependencyEntry) -> DependencySpec:
    return entry if isinstance(entry, DependencySpec) else DependencySpec(target=entry)


def _graph_problems(doc: YamlDocument, view: _View) -> Iterable[Problem]:
    yield from _duplicate_ids(doc, view)
    team_ids = view.raw_ids["teams"]
    nodes = view.raw_ids["nodes"]
    for i, comp in view.components:
        if comp.team is not None and comp.team not in team_ids:
            yield doc.problem(("components", i, "team"), f"unknown team {comp.team!r}")
        for j, entry in enumerate(comp.depends_on):
            target = _dep(entry).target
            if target not in nodes:
                yield doc.problem(
                    ("components", i, "depends_on", j), f"unknown component or group {target!r}"
                )
            elif target == comp.id:
                yield doc.problem(("components", i, "depends_on", j), "depends on itself")
    for i, group in view.groups:
        for j, member in enumerate(group.members):
            if member not in view.raw_ids["components"]:
                yield doc.problem(
                    ("redundancy_groups", i, "members", j), f"unknown component {member!r}"
                )
        if group.min_up > len(group.members):
            yield doc.problem(
                ("redundancy_groups", i, "min_up"),
                f"min_up {group.min_up} exceeds the {len(group.members)} members",
            )
    for i, tp in view.touchpoints:
        if tp.team not in team_ids:
            yield doc.problem(("touchpoints", i, "team"), f"unknown team {tp.team!r}")
        for j, seg in enumerate(tp.segments):
            if view.segments and seg not in view.segments:
                yield doc.problem(("touchpoints", i, "segments", j), f"unknown segment {seg!r}")
        resolved = 0
        for j, entry in enumerate(tp.depends_on):
            target = _dep(entry).target
            if target in nodes:
                resolved += 1
            else:
                yield doc.problem(
                    ("touchpoints", i, "depends_on", j), f"unknown component or group {target!r}"
                )
        if tp.depends_on and not resolved:
            yield doc.problem(("touchpoints", i, "depends_on"), "no path to any component")
    yield from _hard_cycles(doc, view)


def _duplicate_ids(doc: YamlDocument, view: _View) -> Iterable[Problem]:
    first: dict[str, str] = {}
    sections: list[tuple[str, list[tuple[int, Any]]]] = [
        ("teams", list(view.teams)),
        ("components", list(view.components)),
        ("redundancy_groups", list(view.groups)),
        ("touchpoints", list(view.touchpoints)),
    ]
    for section, items in sections:
        for i, item in items:
            # Teams have their own namespace; graph nodes (components, groups,
            # touchpoints) share one, since dependencies name them by id alone.
            namespace = "team" if section == "teams" else "node"
            key = f"{namespace}:{item.id}"
            if key in first:
                yield doc.problem(
                    (section, i, "id"), f"duplicate id {item.id!r} (first at {first[key]})"
                )
            else:
                first[key] = f"{section}[{i}]"


def _hard_cycles(doc: YamlDocument, view: _View) -> Iterable[Problem]:
    """Report each cycle of hard dependencies once, with the loop spelled out."""
    hard: dict[str, list[str]] = {}
    index: dict[str, int] = {}
    for i, comp in view.components:
        index.setdefault(comp.id, i)
        hard[comp.id] = [_dep(e).target for e in comp.depends_on if _dep(e).kind == "hard"]
    for _, group in view.groups:
        hard[group.id] = list(group.members)
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = dict.fromkeys(hard, white)
    reported: set[frozenset[str]] = set()
    for start in hard:
        if colour[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        colour[start] = grey
        while stack:
            node, pos = stack[-1]
            targets = hard.get(node, [])
            if pos >= len(targets):
                stack.pop()
                trail.pop()
                colour[node] = black
                continue
            stack[-1] = (node, pos + 1)
            nxt = targets[pos]
            if nxt not in colour:
                continue
            if colour[nxt] == grey:
                loop = [*trail[trail.index(nxt) :], nxt]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    at = index.get(loop[0])
                    path: tuple[str | int, ...] = ("components", at) if at is not None else ()
                    yield doc.problem(path, "cycle of hard dependencies: " + " → ".join(loop))
            elif colour[nxt] == white:
                colour[nxt] = grey
                stack.append((nxt, 0))
                trail.append(nxt)


def _build(spec: CatalogSpec, *, source: str) -> Catalog:
    teams = {
        t.id: Team(
            id=t.id, name=t.name, slack_channel=t.slack_channel, oncall_channel=t.oncall_channel
        )
        for t in spec.teams
    }
    components = {c.id: _component(c) for c in spec.components}
    groups = {
        g.id: RedundancyGroup(
            id=g.id, name=g.name or g.id, members=tuple(g.members), min_up=g.min_up
        )
        for g in spec.redundancy_groups
    }
    touchpoints = {t.id: _touchpoint(t, teams) for t in spec.touchpoints}
    return Catalog.build(
        company=spec.company.name,
        segments=tuple(spec.company.segments),
        teams=teams,
        components=components,
        groups=groups,
        touchpoints=touchpoints,
        source=source,
    )


def _dependencies(entries: list[DependencyEntry]) -> tuple[Dependency, ...]:
    return tuple(
        Dependency(target=d.target, kind=DependencyKind(d.kind)) for d in map(_dep, entries)
    )


def _component(spec: ComponentSpec) -> Component:
    raw = spec.matchers
    groups = [raw] if raw and isinstance(raw[0], str) else raw
    matchers = tuple(
        tuple(Matcher(n, MatchOp(op), v) for n, op, v in map(parse_matcher, map(str, group)))
        for group in groups
    )
    return Component(
        id=spec.id,
        name=spec.name or spec.id,
        kind=ComponentKind(spec.kind),
        team=spec.team,
        matchers=matchers,
        depends_on=_dependencies(spec.depends_on),
        region=spec.region,
    )


def _touchpoint(spec: TouchpointSpec, teams: Mapping[str, Team]) -> Touchpoint:
    return Touchpoint(
        id=spec.id,
        name=spec.name,
        journey=spec.journey,
        segments=tuple(spec.segments),
        team=spec.team,
        slack_channel=spec.slack_channel or teams[spec.team].slack_channel,
        depends_on=_dependencies(spec.depends_on),
        estimators=tuple(
            EstimatorSpec(method=e.method, queries=dict(e.queries), params=dict(e.params))
            for e in spec.estimators
        ),
        keywords={lang: tuple(words) for lang, words in spec.keywords.items()},
        scheduled=spec.scheduled,
    )
