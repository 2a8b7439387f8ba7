"""Turn rows into domain objects, so nothing outside ``store`` sees an ORM row."""

from __future__ import annotations

from monitor.domain import (
    Alert,
    AlertStatus,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    MaintenanceWindow,
    Severity,
    TouchpointState,
)
from monitor.store.models import (
    AlertRow,
    IncidentEventRow,
    IncidentRow,
    MaintenanceWindowRow,
)


def alert_from_row(row: AlertRow) -> Alert:
    """The domain alert held by an alert row."""
    return Alert(
        fingerprint=row.fingerprint,
        source=row.source,
        status=AlertStatus(row.status),
        labels=dict(row.labels),
        annotations=dict(row.annotations),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        generator_url=row.generator_url,
    )


def incident_from_row(row: IncidentRow, *, firing: int, total: int) -> Incident:
    """The domain incident held by a row, with its alert counts."""
    return Incident(
        id=row.id,
        title=row.title,
        state=IncidentState(row.state),
        severity=Severity(row.severity),
        severity_overridden=row.severity_overridden,
        declared=row.declared,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        quiet_since=row.quiet_since,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        touchpoints={k: TouchpointState(v) for k, v in row.touchpoints.items()},
        peak_touchpoints={k: TouchpointState(v) for k, v in row.peak_touchpoints.items()},
        components=tuple(row.components),
        root_cause_hint=row.root_cause_hint,
        explanation=tuple(row.explanation),
        merged_into=row.merged_into_id,
        flapping=row.flapping,
        firing_alerts=firing,
        total_alerts=total,
    )


def event_from_row(row: IncidentEventRow) -> IncidentEvent:
    """The domain timeline entry held by a row."""
    return IncidentEvent(
        id=row.id,
        incident_id=row.incident_id,
        at=row.at,
        kind=EventKind(row.kind),
        source=row.source,
        summary=row.summary,
        data=dict(row.data),
    )


def window_from_row(row: MaintenanceWindowRow) -> MaintenanceWindow:
    """The domain maintenance window held by a row."""
    return MaintenanceWindow(
        id=str(row.id),
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        components=tuple(row.components),
        touchpoints=tuple(row.touchpoints),
    )
