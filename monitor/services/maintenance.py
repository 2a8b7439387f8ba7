"""Declaring maintenance windows: alerts on their components are recorded, not escalated."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from monitor.catalog import Catalog
from monitor.domain import MaintenanceWindow
from monitor.errors import InputError
from monitor.store import Store


def declare_maintenance(
    store: Store,
    *,
    catalog: Catalog,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    components: Collection[str],
    touchpoints: Collection[str],
    by: str,
    actor: str,
    now: datetime,
) -> MaintenanceWindow:
    """Record a window after checking it names known things and ends after it starts."""
    if ends_at <= starts_at:
        raise InputError("ends_at must be after starts_at")
    if not components and not touchpoints:
        raise InputError("a maintenance window must name components or touchpoints")
    unknown = sorted(
        [c for c in components if c not in catalog.components]
        + [t for t in touchpoints if t not in catalog.touchpoints]
    )
    if unknown:
        raise InputError(f"unknown components or touchpoints: {', '.join(unknown)}")
    with store.unit_of_work() as uow:
        window = uow.maintenance.add(
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            components=components,
            touchpoints=touchpoints,
            created_by=by,
            created_at=now,
        )
        uow.audit.record(
            at=now,
            actor=actor,
            action="maintenance.declared",
            target=f"maintenance:{window.id}",
            details={
                "by": by,
                "title": window.title,
                "starts_at": window.starts_at.isoformat(),
                "ends_at": window.ends_at.isoformat(),
                "components": list(window.components),
                "touchpoints": list(window.touchpoints),
            },
        )
        uow.commit()
    return window


def upcoming_maintenance(store: Store, *, now: datetime) -> list[MaintenanceWindow]:
    """Windows in progress or to come, soonest first."""
    with store.unit_of_work() as uow:
        return uow.maintenance.current_and_future(now=now)
