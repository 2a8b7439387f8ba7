"""Request and response bodies of the HTTP API (``XCreate``, ``XRead``), kept apart from rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.domain import (
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    Severity,
    TouchpointState,
)
from monitor.store.repositories.alerts import StoredAlert
from monitor.store.repositories.audit import AuditEntry
from monitor.store.repositories.outbox import OutboxItem


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not ignored."""

    model_config = ConfigDict(extra="forbid")


class IncidentCreate(Strict):
    """A person declares an incident."""

    title: str = Field(min_length=3, max_length=500)
    declared_by: str = Field(min_length=1, max_length=255)
    summary: str = Field(default="", max_length=10_000)
    touchpoints: list[str] = Field(default_factory=list, max_length=500)
    components: list[str] = Field(default_factory=list, max_length=2000)
    severity: Severity | None = None


class AcknowledgeCreate(Strict):
    """Someone takes the incident."""

    by: str = Field(min_length=1, max_length=255)


class StateChangeCreate(Strict):
    """Someone moves the incident along its life."""

    state: IncidentState
    by: str = Field(min_length=1, max_length=255)
    note: str = Field(default="", max_length=10_000)


class SeverityChangeCreate(Strict):
    """Someone overrides the derived severity."""

    severity: Severity
    by: str = Field(min_length=1, max_length=255)
    reason: str = Field(default="", max_length=10_000)


class IncidentPatch(Strict):
    """Changes to an incident made by a person, applied together."""

    by: str = Field(min_length=1, max_length=255)
    acknowledge: bool = False
    state: IncidentState | None = None
    severity: Severity | None = None
    note: str = Field(default="", max_length=10_000)

    @model_validator(mode="after")
    def _something(self) -> IncidentPatch:
        if not (self.acknowledge or self.state or self.severity or self.note):
            raise ValueError("nothing to change: give acknowledge, state, severity or note")
        return self


class PublicUpdateCreate(Strict):
    """An update for customers, in English and optionally French."""

    by: str = Field(min_length=1, max_length=255)
    message_en: str = Field(min_length=3, max_length=5_000)
    message_fr: str | None = Field(default=None, max_length=5_000)


class IncidentRead(BaseModel):
    """An incident as the API shows it."""

    id: int
    title: str
    state: IncidentState
    severity: Severity
    severity_overridden: bool
    declared: bool
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    quiet_since: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    touchpoints: dict[str, TouchpointState]
    peak_touchpoints: dict[str, TouchpointState]
    components: list[str]
    root_cause_hint: str | None
    explanation: list[str]
    merged_into: int | None
    flapping: bool
    firing_alerts: int
    total_alerts: int

    @classmethod
    def of(cls, incident: Incident) -> IncidentRead:
        """The API view of a domain incident."""
        return cls(
            id=incident.id,
            title=incident.title,
            state=incident.state,
            severity=incident.severity,
            severity_overridden=incident.severity_overridden,
            declared=incident.declared,
            opened_at=incident.opened_at,
            updated_at=incident.updated_at,
            resolved_at=incident.resolved_at,
            quiet_since=incident.quiet_since,
            acknowledged_by=incident.acknowledged_by,
            acknowledged_at=incident.acknowledged_at,
            touchpoints=dict(incident.touchpoints),
            peak_touchpoints=dict(incident.peak_touchpoints),
            components=list(incident.components),
            root_cause_hint=incident.root_cause_hint,
            explanation=list(incident.explanation),
            merged_into=incident.merged_into,
            flapping=incident.flapping,
            firing_alerts=incident.firing_alerts,
            total_alerts=incident.total_alerts,
        )


class EventRead(BaseModel):
    """One timeline entry."""

    id: int
    incident_id: int
    """The incident it was recorded on: another one for events of a merged incident."""
    at: datetime
    kind: EventKind
    source: str
    summary: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: IncidentEvent) -> EventRead:
        """The API view of a timeline entry."""
        return cls(
            id=event.id,
            incident_id=event.incident_id,
            at=event.at,
            kind=event.kind,
            source=event.source,
            summary=event.summary,
            data=dict(event.data),
        )


class AlertRead(BaseModel):
    """An alert occurrence and what it was tied to."""

    id: int
    fingerprint: str
    name: str
    status: str
    source: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    summary: str
    components: list[str]
    touchpoints: list[str]
    unmapped: bool
    suppressed: bool
    deliveries: int
    incident_id: int | None

    @classmethod
    def of(cls, stored: StoredAlert) -> AlertRead:
        """The API view of a stored occurrence."""
        a = stored.alert
        return cls(
            id=stored.id,
            fingerprint=a.fingerprint,
            name=a.name,
            status=a.status.value,
            source=a.source,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            labels=dict(a.labels),
            summary=a.summary,
            components=list(stored.components),
            touchpoints=list(stored.touchpoints),
            unmapped=stored.unmapped,
            suppressed=stored.suppressed,
            deliveries=stored.deliveries,
            incident_id=stored.incident_id,
        )


class IncidentPage(BaseModel):
    """A page of incidents and the cursor of the next one (None on the last page)."""

    items: list[IncidentRead]
    next_cursor: str | None


class EstimatePointRead(BaseModel):
    """One estimate of the incident's series: when, whether final, and per touchpoint."""

    at: datetime
    final: bool
    touchpoints: dict[str, Any]
    """Touchpoint id → affected_customers, affected_so_far, failed_interactions,
    exposed_customers (each ``{estimate, low, high, level}`` or null), methods, quality,
    and ``stale`` when an earlier figure is kept because a source is unreachable."""

    @classmethod
    def of(cls, event: IncidentEvent) -> EstimatePointRead:
        """The series point of an ``estimate_updated`` event."""
        touchpoints = event.data.get("touchpoints")
        return cls(
            at=event.at,
            final=bool(event.data.get("final")),
            touchpoints=dict(touchpoints) if isinstance(touchpoints, dict) else {},
        )


class PlaybookStepRead(BaseModel):
    """One planned step of a playbook run: what, where, and what became of it."""

    playbook: str
    step: str
    action: str
    channel: str | None
    status: str
    due_at: datetime
    attempts: int
    sent_at: datetime | None
    last_error: str | None
    approved_by: str | None

    @classmethod
    def of(cls, item: OutboxItem) -> PlaybookStepRead:
        """The API view of an outbox row (its payload, which may hold drafts, stays out)."""
        return cls(
            playbook=item.playbook,
            step=item.step,
            action=item.action.value,
            channel=item.channel,
            status=item.status.value,
            due_at=item.due_at,
            attempts=item.attempts,
            sent_at=item.sent_at,
            last_error=item.last_error,
            approved_by=item.approved_by,
        )


class IncidentDetail(IncidentRead):
    """An incident with its timeline, alerts, estimates series and playbook steps."""

    timeline: list[EventRead]
    alerts: list[AlertRead]
    estimates: list[EstimatePointRead] = Field(
        default_factory=list, description="Affected-customer estimates over time, oldest first."
    )
    playbook_steps: list[PlaybookStepRead] = Field(
        default_factory=list, description="Every step the playbooks planned, in planned order."
    )


class IngestRejectedItem(BaseModel):
    """One refused alert of a delivery."""

    index: int
    reason: str


class IngestResult(BaseModel):
    """The answer to a delivery: what was committed and what was refused."""

    batch_id: int
    accepted: int
    rejected: list[IngestRejectedItem]
    rejected_payload_id: int | None


class RejectedRead(BaseModel):
    """A refused payload kept for inspection (body shown as text, replacement for bad bytes)."""

    id: int
    received_at: datetime
    endpoint: str
    reason: str
    content_type: str | None
    size_bytes: int
    truncated: bool
    body_preview: str


class AuditEntryRead(BaseModel):
    """One audit entry: who (``actor``) did what (``action``) to what (``target``), and when."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        """The API view of an audit entry."""
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=dict(entry.details),
        )


class AuditPage(BaseModel):
    """A page of audit entries, newest first, and the cursor of the next (None on the last)."""

    items: list[AuditEntryRead]
    next_cursor: str | None
