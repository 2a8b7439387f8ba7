"""Bodies of the status endpoints: a public view (no internals) and an internal one."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from monitor.domain import (
    ComponentHealth,
    Incident,
    IncidentEvent,
    IncidentState,
    Indicator,
    Interval,
    TouchpointState,
)
from monitor.services.status import DayUptime, StatusSnapshot, TouchpointStatus


class IntervalRead(BaseModel):
    """An estimate with its interval."""

    estimate: int
    low: int
    high: int
    level: float

    @classmethod
    def of(cls, interval: Interval | None) -> IntervalRead | None:
        """The API view of an interval (None stays None: "estimate pending")."""
        if interval is None:
            return None
        return cls(
            estimate=interval.estimate, low=interval.low, high=interval.high, level=interval.level
        )


class PublicUpdateRead(BaseModel):
    """An update written for customers."""

    at: datetime
    en: str
    fr: str

    @classmethod
    def of(cls, event: IncidentEvent) -> PublicUpdateRead:
        """From a published-update timeline event."""
        return cls(at=event.at, en=str(event.data.get("en", "")), fr=str(event.data.get("fr", "")))


class TouchpointStatusRead(BaseModel):
    """A touchpoint in the status answer."""

    id: str
    name: str
    state: TouchpointState
    since: datetime | None
    incident_ids: list[int] | None = None
    affected_customers: IntervalRead | None = None
    estimate_at: datetime | None = None
    estimate_stale: str | None = Field(
        default=None,
        description="Set when the figure is an earlier one kept because a source is unreachable.",
    )
    monitored_state: TouchpointState | None = Field(
        default=None,
        description="Internal view, when ``state`` was published by a playbook: what the "
        "monitor itself sees.",
    )


class IncidentStatusRead(BaseModel):
    """An incident in the status answer; the public view carries no internals."""

    id: int
    state: IncidentState
    started_at: datetime
    resolved_at: datetime | None
    touchpoints: dict[str, TouchpointState]
    updates: list[PublicUpdateRead]
    title: str | None = None
    severity: str | None = None
    components: list[str] | None = None


class MaintenanceStatusRead(BaseModel):
    """A maintenance window in the status answer."""

    title: str
    starts_at: datetime
    ends_at: datetime
    touchpoints: list[str]


class StatusRead(BaseModel):
    """``GET /api/v1/status``."""

    view: str
    generated_at: datetime
    indicator: Indicator
    touchpoints: list[TouchpointStatusRead]
    incidents: list[IncidentStatusRead]
    recently_resolved: list[IncidentStatusRead]
    maintenance: list[MaintenanceStatusRead]

    @classmethod
    def of(cls, snapshot: StatusSnapshot, *, internal: bool, counts: bool) -> StatusRead:
        """Build the public or internal view of a snapshot."""
        return cls(
            view="internal" if internal else "public",
            generated_at=snapshot.generated_at,
            indicator=snapshot.indicator,
            touchpoints=[
                _touchpoint(t, internal=internal, counts=counts) for t in snapshot.touchpoints
            ],
            incidents=[_incident(i, snapshot, internal=internal) for i in snapshot.incidents],
            recently_resolved=[
                _incident(i, snapshot, internal=internal) for i in snapshot.recently_resolved
            ],
            maintenance=[
                MaintenanceStatusRead(
                    title=m.title,
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                    touchpoints=list(m.touchpoints),
                )
                for m in snapshot.maintenance
            ],
        )


def _touchpoint(t: TouchpointStatus, *, internal: bool, counts: bool) -> TouchpointStatusRead:
    read = TouchpointStatusRead(id=t.id, name=t.name, state=t.state, since=t.since)
    if internal:
        read.incident_ids = list(t.incident_ids)
        read.monitored_state = t.monitored_state
    if internal or counts:
        read.affected_customers = IntervalRead.of(t.affected_customers)
        read.estimate_at = t.estimate_at
        read.estimate_stale = t.estimate_stale
    return read


def _incident(i: Incident, snapshot: StatusSnapshot, *, internal: bool) -> IncidentStatusRead:
    read = IncidentStatusRead(
        id=i.id,
        state=i.state,
        started_at=i.opened_at,
        resolved_at=i.resolved_at,
        touchpoints=dict(i.touchpoints or i.peak_touchpoints),
        updates=[PublicUpdateRead.of(e) for e in snapshot.updates.get(i.id, ())],
    )
    if internal:
        read.title = i.title
        read.severity = i.severity.value
        read.components = list(i.components)
    return read


class DayUptimeRead(BaseModel):
    """One day of history."""

    day: str
    uptime: float
    worst: TouchpointState

    @classmethod
    def of(cls, day: DayUptime) -> DayUptimeRead:
        """From the service's day record."""
        return cls(day=day.day, uptime=round(day.uptime, 6), worst=day.worst)


class StatePeriodRead(BaseModel):
    """A period a touchpoint was not operational."""

    state: TouchpointState
    since: datetime
    until: datetime | None


class TouchpointRead(BaseModel):
    """``GET /api/v1/touchpoints/{id}``: state, why, and 90 days of history."""

    id: str
    name: str
    journey: str
    segments: list[str]
    team: str
    state: TouchpointState
    since: datetime | None
    explanation: list[str]
    depends_on: list[str]
    uptime_90d: float
    days: list[DayUptimeRead]
    periods: list[StatePeriodRead]


class ComponentRead(BaseModel):
    """A component that is not up, with what makes it so."""

    id: str
    name: str
    kind: str
    health: ComponentHealth
    firing_alerts: list[str]


class ComponentsRead(BaseModel):
    """``GET /api/v1/components``."""

    components: list[ComponentRead]
    unmapped_alerts: list[str]
