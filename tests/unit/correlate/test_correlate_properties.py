"""Propagation and incremental updates on random catalogs, against plain reference code.

The reference below is deliberately naive: it recomputes every node from the
previous round's values until nothing changes, with the rules written out
again from the module docstrings, so a shared mistake is unlikely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from correlate_builders import AT, catalog_of, touchpoint
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.catalog.model import Catalog
from monitor.correlate import TopologyState, correlate
from monitor.domain import (
    Alert,
    AlertStatus,
    Component,
    ComponentHealth,
    ComponentKind,
    Dependency,
    DependencyKind,
    MaintenanceWindow,
    Matcher,
    MatchOp,
    TouchpointState,
)

RANK = {"up": 0, "unknown": 1, "degraded": 2, "down": 3}
NAMES = {v: ComponentHealth(k) for k, v in RANK.items()}
SEVERITY = {"critical": 3, "warning": 2, "info": 0, "page": 3, "low": 0}
IMPACT = {"down": 3, "degraded": 2, "none": 0, "unknown": 1}


def ref_alert_level(labels: dict[str, str]) -> int:
    if labels.get("impact") in IMPACT:
        return IMPACT[labels["impact"]]
    return SEVERITY.get(labels.get("severity", ""), 2)


def ref_components(catalog: Catalog, labels: dict[str, str]) -> set[str]:
    found = {cid for cid, comp in catalog.components.items() if comp.matches(labels)}
    if labels.get("component") in catalog.components:
        found.add(labels["component"])
    return found


def ref_current(alerts: list[Alert]) -> list[Alert]:
    current: dict[str, Alert] = {}
    for alert in alerts:
        current.pop(alert.fingerprint, None)
        if alert.status is AlertStatus.FIRING:
            current[alert.fingerprint] = alert
    return list(current.values())


def ref_levels(catalog: Catalog, own: dict[str, int]) -> dict[str, int]:
    level = {n: own.get(n, 0) for n in catalog.components} | dict.fromkeys(catalog.groups, 0)
    while True:
        new = {}
        for cid, comp in catalog.components.items():
            worst = own.get(cid, 0)
            for dep in comp.depends_on:
                got = level[dep.target]
                if got == 3 and dep.kind is DependencyKind.HARD:
                    worst = max(worst, 3)
                elif got >= 2:
                    worst = max(worst, 2)
            new[cid] = worst
        for gid, group in catalog.groups.items():
            not_down = sum(1 for m in group.members if level[m] < 3)
            up = sum(1 for m in group.members if level[m] < 2)
            new[gid] = 3 if not_down < group.min_up else 2 if up < group.min_up else 0
        if new == level:
            return level
        level = new


def ref_touchpoint(catalog: Catalog, level: dict[str, int], tid: str) -> TouchpointState:
    deps = catalog.touchpoints[tid].depends_on
    if any(level[d.target] == 3 and d.kind is DependencyKind.HARD for d in deps):
        return TouchpointState.MAJOR_OUTAGE
    if any(level[d.target] == 3 for d in deps):
        return TouchpointState.PARTIAL_OUTAGE
    if any(level[d.target] == 2 for d in deps):
        return TouchpointState.DEGRADED_PERFORMANCE
    return TouchpointState.OPERATIONAL


@dataclass(frozen=True)
class Reference:
    health: dict[str, ComponentHealth]
    states: dict[str, TouchpointState]


def reference(catalog: Catalog, alerts: list[Alert], window: MaintenanceWindow | None) -> Reference:
    maint = set(window.components) if window else set()
    listed = set(window.touchpoints) if window else set()
    real: dict[str, int] = {}
    everything: dict[str, int] = {}
    for alert in ref_current(alerts):
        lvl = ref_alert_level(dict(alert.labels))
        for cid in ref_components(catalog, dict(alert.labels)):
            everything[cid] = max(everything.get(cid, 0), lvl)
            if cid not in maint:
                real[cid] = max(real.get(cid, 0), lvl)
    level = ref_levels(catalog, real)
    would = ref_levels(catalog, everything)
    states: dict[str, TouchpointState] = {}
    for tid in catalog.touchpoints:
        state = ref_touchpoint(catalog, level, tid)
        if state is TouchpointState.OPERATIONAL and (
            tid in listed or ref_touchpoint(catalog, would, tid) is not TouchpointState.OPERATIONAL
        ):
            state = TouchpointState.UNDER_MAINTENANCE
        if state is not TouchpointState.OPERATIONAL:
            states[tid] = state
    health = {n: NAMES[lv] for n, lv in level.items() if lv}
    return Reference(health=health, states=states)


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    """Random catalogs: hard edges only point to lower ids (no hard cycles), soft ones anywhere."""
    size = draw(st.integers(1, 9))
    ids = [f"c{i}" for i in range(size)]
    groups: dict[str, tuple[tuple[str, ...], int]] = {}
    for g in range(draw(st.integers(0, 3))):
        members = tuple(draw(st.sets(st.sampled_from(ids), min_size=1, max_size=4)))
        groups[f"g{g}"] = (tuple(sorted(members)), draw(st.integers(1, len(members))))
    components = []
    for i, cid in enumerate(ids):
        below = ids[:i] + [g for g, (ms, _) in groups.items() if all(int(m[1:]) < i for m in ms)]
        others = [n for n in ids + list(groups) if n != cid]
        deps = [Dependency(t, DependencyKind.HARD) for t in _some(draw, below, 3)]
        deps += [Dependency(t, DependencyKind.SOFT) for t in _some(draw, others, 2)]
        components.append(
            Component(
                id=cid,
                name=cid,
                kind=ComponentKind.SERVICE,
                team=None,
                matchers=(
                    (Matcher("service", MatchOp.EQ, f"s{i}"),),
                    (
                        Matcher("instance", MatchOp.RE, f"h{i}-.*"),
                        Matcher("env", MatchOp.NE, "test"),
                    ),
                ),
                depends_on=tuple(deps),
            )
        )
    nodes = ids + list(groups)
    touchpoints = [
        touchpoint(
            f"t{t}",
            *(
                Dependency(target, draw(st.sampled_from(list(DependencyKind))))
                for target in draw(st.sets(st.sampled_from(nodes), min_size=1, max_size=3))
            ),
        )
        for t in range(draw(st.integers(1, 4)))
    ]
    return catalog_of(components, touchpoints, groups)


def _some(draw: st.DrawFn, options: list[str], most: int) -> set[str]:
    return draw(st.sets(st.sampled_from(options), max_size=most)) if options else set()


@st.composite
def alert_streams(draw: st.DrawFn, catalog: Catalog) -> list[Alert]:
    """Fire and resolve alerts on a handful of fingerprints, so upserts and resolutions collide."""
    size = len(catalog.components)
    label_values = st.fixed_dictionaries(
        {},
        optional={
            "service": st.sampled_from([f"s{i}" for i in range(size + 1)]),
            "instance": st.sampled_from([f"h{i}-x" for i in range(size)] + ["zz"]),
            "env": st.sampled_from(["test", "prod"]),
            "component": st.sampled_from([*catalog.components, "ghost"]),
            "severity": st.sampled_from([*SEVERITY, "odd"]),
            "impact": st.sampled_from([*IMPACT, "odd"]),
        },
    )
    stream = []
    for _ in range(draw(st.integers(0, 14))):
        stream.append(
            Alert(
                fingerprint=draw(st.sampled_from(["f0", "f1", "f2", "f3", "f4"])),
                source="test",
                status=draw(st.sampled_from([AlertStatus.FIRING] * 3 + [AlertStatus.RESOLVED])),
                labels=draw(label_values),
                annotations={},
                starts_at=AT,
            )
        )
    return stream


@st.composite
def windows(draw: st.DrawFn, catalog: Catalog) -> MaintenanceWindow | None:
    if not draw(st.booleans()):
        return None
    return MaintenanceWindow(
        id="w",
        title="planned work",
        starts_at=AT - timedelta(hours=1),
        ends_at=AT + timedelta(hours=1),
        components=tuple(draw(st.sets(st.sampled_from(list(catalog.components)), max_size=3))),
        touchpoints=tuple(draw(st.sets(st.sampled_from(list(catalog.touchpoints)), max_size=1))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Catalog, list[Alert], MaintenanceWindow | None]:
    catalog = draw(catalogs())
    return catalog, draw(alert_streams(catalog)), draw(windows(catalog))


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_full_correlation_agrees_with_naive_fixed_point(
    scenario: tuple[Catalog, list[Alert], MaintenanceWindow | None],
) -> None:
    catalog, alerts, window = scenario
    result = correlate(alerts, catalog, maintenance=[window] if window else [], at=AT)
    expected = reference(catalog, alerts, window)
    assert dict(result.health) == expected.health
    assert {t: i.state for t, i in result.touchpoints.items()} == expected.states


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_incremental_state_equals_full_recomputation_after_every_alert(
    scenario: tuple[Catalog, list[Alert], MaintenanceWindow | None],
) -> None:
    catalog, alerts, window = scenario
    maintenance = [window] if window else []
    state = TopologyState(catalog, maintenance=maintenance, at=AT)
    before = correlate([], catalog, maintenance=maintenance, at=AT)
    for i, alert in enumerate(alerts):
        change = state.apply(alert)
        after = correlate(alerts[: i + 1], catalog, maintenance=maintenance, at=AT)
        assert state.snapshot() == after
        moved = {t.touchpoint: (t.before, t.after) for t in change.touchpoints}
        expected = {
            t: (before.state_of(t), after.state_of(t))
            for t in catalog.touchpoints
            if before.state_of(t) != after.state_of(t)
        }
        assert moved == expected
        assert change.health == {
            n: (before.health_of(n), after.health_of(n))
            for n in before.health.keys() | after.health.keys()
            if before.health_of(n) != after.health_of(n)
        }
        before = after


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_bulk_load_equals_applying_one_by_one(
    scenario: tuple[Catalog, list[Alert], MaintenanceWindow | None],
) -> None:
    catalog, alerts, window = scenario
    maintenance = [window] if window else []
    one_by_one = TopologyState(catalog, maintenance=maintenance, at=AT)
    for alert in alerts:
        one_by_one.apply(alert)
    bulk = TopologyState(catalog, maintenance=maintenance, at=AT)
    bulk.load(alerts)
    assert bulk.snapshot() == one_by_one.snapshot()


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_every_non_operational_touchpoint_is_explained(
    scenario: tuple[Catalog, list[Alert], MaintenanceWindow | None],
) -> None:
    catalog, alerts, window = scenario
    result = correlate(alerts, catalog, maintenance=[window] if window else [], at=AT)
    for tid, impact in result.touchpoints.items():
        assert impact.explanation, tid
        for line in impact.explanation:
            assert line.startswith(tid) or line.startswith("+")
        assert impact.roots <= set(catalog.components)
        for fingerprint in impact.alerts:
            assert result.alert_components[fingerprint] & impact.roots
