"""What subscribers hear of: published updates, debounced states and maintenance notices.

Planning reads what was published and writes one delivery per subscriber
and notice, keyed so that planning again (every worker turn, after a
restart, from a second process) adds nothing. Internal churn never becomes
a message:

* a touchpoint state is announced only once it has held for the debounce
  period; a flap that returns within it is never announced, and a run of
  short flaps inside a longer outage is announced once;
* customer-facing updates (``public_update`` events) go out at once to
  subscribers of the touchpoints their incident hurt;
* a declared maintenance window goes to subscribers of its touchpoints, of
  touchpoints that depend on its components, and of its components.

A subscriber hears only of what was announced after it confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.catalog import Catalog
from monitor.domain import MaintenanceWindow, TouchpointState
from monitor.store import UnitOfWork
from monitor.store.repositories.subscriptions import PublishedUpdate, Subscription
from monitor.store.repositories.touchpoints import StatePeriod

HISTORY = timedelta(days=7)
"""How far back state periods are read to know what was announced before."""
LOOKBACK = timedelta(hours=24)
"""Notices older than this are not planned any more (e.g. after a long stop)."""


@dataclass(frozen=True)
class Notice:
    """Something subscribers may hear of; ``key`` identifies it for good."""

    key: str
    kind: str
    at: datetime
    """When it became announceable; subscribers confirmed later do not get it."""
    touchpoints: frozenset[str]
    components: frozenset[str] = frozenset()
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StableChange:
    """A touchpoint entered ``state`` at ``since`` and held it until ``stable_at`` at least."""

    touchpoint: str
    state: TouchpointState
    previous: TouchpointState
    since: datetime
    stable_at: datetime


def stable_changes(
    periods: Sequence[StatePeriod], *, now: datetime, debounce: timedelta
) -> list[StableChange]:
    """The changes of one touchpoint worth announcing, oldest first.

    ``periods`` are the touchpoint's non-operational periods, oldest first;
    the gaps between them are operational. A segment shorter than
    ``debounce`` is ignored, and a segment in the state last announced adds
    nothing, so only held changes of the announced state remain.
    """
    if not periods:
        return []
    touchpoint = periods[0].touchpoint
    segments: list[tuple[TouchpointState, datetime, datetime | None]] = []
    end: datetime | None = None
    for period in periods:
        if end is not None and period.since > end:
            segments.append((TouchpointState.OPERATIONAL, end, period.since))
        segments.append((period.state, period.since, period.until))
        end = period.until
        if end is None:
            break
    if end is not None:
        segments.append((TouchpointState.OPERATIONAL, end, None))
    announced = TouchpointState.OPERATIONAL
    changes = []
    for state, start, until in segments:
        if (until or now) - start < debounce or state is announced:
            continue
        changes.append(
            StableChange(
                touchpoint=touchpoint,
                state=state,
                previous=announced,
                since=start,
                stable_at=start + debounce,
            )
        )
        announced = state
    return changes


def state_notices(
    periods: Iterable[StatePeriod], *, catalog: Catalog, now: datetime, debounce: timedelta
) -> list[Notice]:
    """Notices of held touchpoint state changes."""
    by_touchpoint: dict[str, list[StatePeriod]] = {}
    for period in periods:
        by_touchpoint.setdefault(period.touchpoint, []).append(period)
    notices = []
    for touchpoint, its in by_touchpoint.items():
        spec = catalog.touchpoints.get(touchpoint)
        if spec is None:
            continue
        for change in stable_changes(its, now=now, debounce=debounce):
            notices.append(
                Notice(
                    key=f"state:{touchpoint}:{change.since.isoformat()}:{change.state.value}",
                    kind="state",
                    at=change.stable_at,
                    touchpoints=frozenset({touchpoint}),
                    payload={
                        "touchpoint": touchpoint,
                        "name": spec.name,
                        "state": change.state.value,
                        "previous": change.previous.value,
                        "since": change.since.isoformat(),
                    },
                )
            )
    return notices


def update_notice(update: PublishedUpdate) -> Notice:
    """The notice of one customer-facing update."""
    return Notice(
        key=f"update:{update.event_id}",
        kind="update",
        at=update.at,
        touchpoints=update.touchpoints,
        payload={
            "incident_id": update.incident_id,
            "at": update.at.isoformat(),
            "touchpoints": sorted(update.touchpoints),
            "en": str(update.data.get("en", "")),
            "fr": str(update.data.get("fr", "")),
            "state": str(update.data.get("state", "")),
            "resolved": bool(update.data.get("resolved", False)),
        },
    )


def maintenance_notice(
    window: MaintenanceWindow, *, declared_at: datetime, catalog: Catalog
) -> Notice:
    """The notice of one declared window, reaching touchpoints below its components too."""
    touchpoints = set(window.touchpoints) | touchpoints_under(catalog, window.components)
    return Notice(
        key=f"maintenance:{window.id}",
        kind="maintenance",
        at=declared_at,
        touchpoints=frozenset(touchpoints),
        components=frozenset(window.components),
        payload={
            "title": window.title,
            "starts_at": window.starts_at.isoformat(),
            "ends_at": window.ends_at.isoformat(),
            "touchpoints": sorted(touchpoints),
            "names": sorted(
                catalog.touchpoints[t].name for t in touchpoints if t in catalog.touchpoints
            ),
        },
    )


def touchpoints_under(catalog: Catalog, components: Iterable[str]) -> set[str]:
    """Touchpoints that depend, directly or not, on any of ``components``."""
    seen: set[str] = set()
    todo = list(components)
    while todo:
        node = todo.pop()
        for dependant in catalog.dependants_of(node):
            if dependant not in seen:
                seen.add(dependant)
                todo.append(dependant)
    return {n for n in seen if n in catalog.touchpoints}


def wants(subscription: Subscription, notice: Notice) -> bool:
    """True when the subscriber follows what the notice is about."""
    if not subscription.touchpoints and not subscription.components:
        return True
    if notice.touchpoints.intersection(subscription.touchpoints):
        return True
    return notice.kind == "maintenance" and bool(
        notice.components.intersection(subscription.components)
    )


def plan_deliveries(
    uow: UnitOfWork, *, catalog: Catalog, debounce: timedelta, now: datetime
) -> int:
    """Write the deliveries owed for recent notices; returns how many were added."""
    subscribers = uow.subscriptions.active()
    if not subscribers:
        return 0
    since = now - LOOKBACK
    periods = uow.touchpoints.periods(since=now - HISTORY)
    notices = [
        *state_notices(periods, catalog=catalog, now=now, debounce=debounce),
        *(update_notice(u) for u in uow.subscriptions.public_updates(since=since)),
        *(
            maintenance_notice(w, declared_at=at, catalog=catalog)
            for w, at in uow.subscriptions.maintenance_declared(since=since)
        ),
    ]
    notices = [n for n in notices if since < n.at <= now]
    if not notices:
        return 0
    added = 0
    for subscriber in subscribers:
        confirmed = subscriber.confirmed_at
        mine = [n for n in notices if confirmed is not None and n.at >= confirmed]
        mine = [n for n in mine if wants(subscriber, n)]
        if not mine:
            continue
        known = uow.subscriptions.existing_keys(subscriber.id, [n.key for n in mine])
        for notice in mine:
            if notice.key in known:
                continue
            uow.subscriptions.add_delivery(
                subscriber.id,
                event_key=notice.key,
                kind=notice.kind,
                payload=notice.payload,
                due_at=now,
                created_at=now,
            )
            added += 1
    return added
