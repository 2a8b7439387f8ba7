"""What is broken for customers right now: the answer behind the status API and page.

Built from the store (so every API process answers the same, whichever runs
the worker) and meant to be cached by the caller for a few seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from monitor.catalog import Catalog
from monitor.domain import (
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    Indicator,
    Interval,
    MaintenanceWindow,
    TouchpointState,
)
from monitor.store import Store
from monitor.store.repositories.touchpoints import StatePeriod

RECENT = timedelta(days=7)
OPEN_STATES = (IncidentState.INVESTIGATING, IncidentState.IDENTIFIED, IncidentState.MONITORING)


@dataclass(frozen=True)
class TouchpointStatus:
    """One touchpoint as the status API shows it."""

    id: str
    name: str
    state: TouchpointState
    since: datetime | None
    incident_ids: tuple[int, ...]
    affected_customers: Interval | None
    """The latest estimate from the open incidents that hurt it (None: no estimate yet)."""
    estimate_at: datetime | None
    estimate_stale: str | None = None
    """Why the estimate is an earlier figure kept (a source unreachable), and since when."""
    monitored_state: TouchpointState | None = None
    """Set when ``state`` is one a playbook published for an open incident: what the
    monitor itself sees (the status page shows what people were told)."""


@dataclass(frozen=True)
class StatusSnapshot:
    """Everything ``GET /status`` and the status page need, at one instant."""

    generated_at: datetime
    indicator: Indicator
    touchpoints: tuple[TouchpointStatus, ...]
    incidents: tuple[Incident, ...]
    """Open incidents."""
    recently_resolved: tuple[Incident, ...]
    """Incidents resolved in the last week (not merged ones)."""
    updates: Mapping[int, tuple[IncidentEvent, ...]]
    """Published customer-facing updates by incident, oldest first."""
    maintenance: tuple[MaintenanceWindow, ...]
    last_change: datetime | None
    etag: str = field(default="")


def indicator_of(states: Sequence[TouchpointState]) -> Indicator:
    """The overall indicator, as status pages show it: the worst touchpoint decides."""
    if TouchpointState.MAJOR_OUTAGE in states:
        return Indicator.CRITICAL
    if TouchpointState.PARTIAL_OUTAGE in states:
        return Indicator.MAJOR
    if TouchpointState.DEGRADED_PERFORMANCE in states:
        return Indicator.MINOR
    return Indicator.NONE


def build_status(store: Store, *, catalog: Catalog, now: datetime) -> StatusSnapshot:
    """Read the current state of every touchpoint, the open incidents and maintenance."""
    with store.unit_of_work() as uow:
        current = uow.touchpoints.current()
        incidents = [
            i for i in uow.incidents.page(states=OPEN_STATES, limit=500) if i.merged_into is None
        ]
        estimates = uow.incidents.latest_events(
            [i.id for i in incidents], kind=EventKind.ESTIMATE_UPDATED
        )
        resolved = [
            i
            for i in uow.incidents.page(
                states=[IncidentState.RESOLVED], opened_from=now - RECENT, limit=100
            )
            if i.merged_into is None
        ]
        updates = uow.incidents.events_of_kind(
            [i.id for i in (*incidents, *resolved)], kind=EventKind.PUBLIC_UPDATE
        )
        maintenance = uow.maintenance.current_and_future(now=now)
        last_change = uow.touchpoints.latest_change()
    pinned = _pinned_states(incidents, updates)
    touchpoints = tuple(
        _touchpoint_status(
            catalog,
            tid,
            period=current.get(tid),
            incidents=incidents,
            estimates=estimates,
            pinned=pinned.get(tid),
        )
        for tid in catalog.touchpoints
    )
    snapshot = StatusSnapshot(
        generated_at=now,
        indicator=indicator_of([t.state for t in touchpoints]),
        touchpoints=touchpoints,
        incidents=tuple(incidents),
        recently_resolved=tuple(resolved),
        updates={k: tuple(v) for k, v in updates.items()},
        maintenance=tuple(maintenance),
        last_change=last_change,
    )
    return replace(snapshot, etag=_etag(snapshot))


def _touchpoint_status(
    catalog: Catalog,
    touchpoint: str,
    *,
    period: StatePeriod | None,
    incidents: Sequence[Incident],
    estimates: Mapping[int, object],
    pinned: TouchpointState | None = None,
) -> TouchpointStatus:
    hurting = [i for i in incidents if touchpoint in i.touchpoints]
    best: tuple[Interval, datetime, str | None] | None = None
    for incident in hurting:
        event = estimates.get(incident.id)
        found = _affected(event, touchpoint)
        if found is not None and (best is None or found[1] > best[1]):
            best = found
    monitored = period.state if period else TouchpointState.OPERATIONAL
    return TouchpointStatus(
        id=touchpoint,
        name=catalog.touchpoints[touchpoint].name,
        state=pinned or monitored,
        monitored_state=monitored if pinned is not None else None,
        since=period.since if period else None,
        incident_ids=tuple(sorted(i.id for i in hurting)),
        affected_customers=best[0] if best else None,
        estimate_at=best[1] if best else None,
        estimate_stale=best[2] if best else None,
    )


def _pinned_states(
    incidents: Sequence[Incident], updates: Mapping[int, Sequence[IncidentEvent]]
) -> dict[str, TouchpointState]:
    """The latest state a playbook published explicitly per touchpoint, for open incidents."""
    published: list[tuple[datetime, int, str, TouchpointState]] = []
    for incident in incidents:
        for update in updates.get(incident.id, ()):
            data = update.data
            touchpoint, state = data.get("touchpoint"), data.get("state")
            if not data.get("pinned") or not isinstance(touchpoint, str):
                continue
            try:
                published.append((update.at, update.id, touchpoint, TouchpointState(str(state))))
            except ValueError:
                continue
    return {tp: state for _, _, tp, state in sorted(published)}


def _affected(event: object, touchpoint: str) -> tuple[Interval, datetime, str | None] | None:
    """The affected-customers interval for a touchpoint from an estimate event, if present."""
    data = getattr(event, "data", None)
    at = getattr(event, "at", None)
    if not isinstance(data, Mapping) or not isinstance(at, datetime):
        return None
    entry = data.get("touchpoints", {}).get(touchpoint)
    if not isinstance(entry, Mapping):
        return None
    value = entry.get("affected_customers")
    if not isinstance(value, Mapping):
        return None
    try:
        interval = Interval(
            estimate=int(value["estimate"]),
            low=int(value["low"]),
            high=int(value["high"]),
            level=float(value.get("level", 0.9)),
        )
    except (KeyError, TypeError, ValueError):
        return None
    stale = entry.get("stale")
    note = (
        f"since {stale.get('since')}: {stale.get('reason')}" if isinstance(stale, Mapping) else None
    )
    return interval, at, note


@dataclass(frozen=True)
class DayUptime:
    """One day of a touchpoint's history: share of time operational and the worst state."""

    day: str
    uptime: float
    worst: TouchpointState


def daily_uptime(
    periods: Sequence[StatePeriod], *, now: datetime, days: int = 90
) -> list[DayUptime]:
    """Per UTC day, oldest first: the share of the day operational (maintenance counts as up)."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    result = []
    for back in range(days - 1, -1, -1):
        start = today - timedelta(days=back)
        end = min(start + timedelta(days=1), now)
        span = (end - start).total_seconds()
        down = 0.0
        worst = TouchpointState.OPERATIONAL
        for period in periods:
            overlap_start = max(period.since, start)
            overlap_end = min(period.until or now, end)
            if overlap_end <= overlap_start:
                continue
            if period.state is not TouchpointState.UNDER_MAINTENANCE:
                down += (overlap_end - overlap_start).total_seconds()
            worst = _worse(worst, period.state)
        uptime = 1.0 if span <= 0 else max(0.0, 1.0 - down / span)
        result.append(DayUptime(day=start.date().isoformat(), uptime=uptime, worst=worst))
    return result


_RANK = {
    TouchpointState.OPERATIONAL: 0,
    TouchpointState.UNDER_MAINTENANCE: 1,
    TouchpointState.DEGRADED_PERFORMANCE: 2,
    TouchpointState.PARTIAL_OUTAGE: 3,
    TouchpointState.MAJOR_OUTAGE: 4,
}


def _worse(a: TouchpointState, b: TouchpointState) -> TouchpointState:
    return a if _RANK[a] >= _RANK[b] else b


def touchpoint_periods(
    store: Store, *, touchpoint: str | None, now: datetime, days: int = 90
) -> list[StatePeriod]:
    """The non-operational periods of the last ``days`` days."""
    with store.unit_of_work() as uow:
        return uow.touchpoints.periods(since=now - timedelta(days=days), touchpoint=touchpoint)


def _etag(snapshot: StatusSnapshot) -> str:
    """A digest of what the snapshot says (not when it was built), for HTTP caching."""
    content = {
        "indicator": snapshot.indicator.value,
        "touchpoints": [asdict(t) for t in snapshot.touchpoints],
        "incidents": [(i.id, i.state.value, i.updated_at) for i in snapshot.incidents],
        "resolved": [i.id for i in snapshot.recently_resolved],
        "updates": [e.id for events in snapshot.updates.values() for e in events],
        "maintenance": [asdict(m) for m in snapshot.maintenance],
    }
    text = json.dumps(content, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
