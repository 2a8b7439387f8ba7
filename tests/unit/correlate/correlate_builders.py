"""Small builders for correlation tests: alerts, components, catalogs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from monitor.catalog import load_catalog
from monitor.catalog.model import Catalog
from monitor.domain import (
    Alert,
    AlertStatus,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Matcher,
    MatchOp,
    RedundancyGroup,
    Touchpoint,
)

AT = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
EXAMPLE_CATALOG = Path(__file__).resolve().parents[3] / "examples" / "catalog.yaml"


def example_catalog() -> Catalog:
    """The Northwind example catalog shipped with the repository."""
    return load_catalog(EXAMPLE_CATALOG)


def firing(fingerprint: str, **labels: str) -> Alert:
    """A firing alert with these labels, started at ``AT``."""
    return Alert(
        fingerprint=fingerprint,
        source="test",
        status=AlertStatus.FIRING,
        labels=dict(labels),
        annotations={},
        starts_at=AT,
    )


def resolved(alert: Alert) -> Alert:
    """The same alert, resolved."""
    return Alert(
        fingerprint=alert.fingerprint,
        source=alert.source,
        status=AlertStatus.RESOLVED,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=alert.starts_at,
    )


def hard(target: str) -> Dependency:
    """A hard dependency."""
    return Dependency(target, DependencyKind.HARD)


def soft(target: str) -> Dependency:
    """A soft dependency."""
    return Dependency(target, DependencyKind.SOFT)


def component(cid: str, *deps: Dependency, service: str | None = None) -> Component:
    """A service component matched by ``service="<service or id>"``."""
    return Component(
        id=cid,
        name=cid,
        kind=ComponentKind.SERVICE,
        team=None,
        matchers=((Matcher("service", MatchOp.EQ, service or cid),),),
        depends_on=tuple(deps),
    )


def touchpoint(tid: str, *deps: Dependency) -> Touchpoint:
    """A touchpoint depending on these nodes."""
    return Touchpoint(
        id=tid,
        name=tid,
        journey="",
        segments=(),
        team="t",
        slack_channel="#t",
        depends_on=tuple(deps),
    )


def catalog_of(
    components: Iterable[Component],
    touchpoints: Iterable[Touchpoint] = (),
    groups: Mapping[str, tuple[tuple[str, ...], int]] | None = None,
) -> Catalog:
    """A catalog from components, touchpoints and groups given as id → (members, min_up)."""
    return Catalog.build(
        company="test",
        segments=(),
        teams={},
        components={c.id: c for c in components},
        groups={
            gid: RedundancyGroup(id=gid, name=gid, members=members, min_up=min_up)
            for gid, (members, min_up) in (groups or {}).items()
        },
        touchpoints={t.id: t for t in touchpoints},
    )
