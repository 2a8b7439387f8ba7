"""What people do to incidents: declare, acknowledge, change state or severity.

Each action is one unit of work that changes the incident, appends the
matching timeline event and the audit entry, so the timeline always explains
the current state and the audit log always says who made each change.
``by`` is the name the person gave; ``actor`` is the authenticated caller
(``token:<name>``, ``slack:<user>``, ``cli:<user>``) that the audit log keeps.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from monitor.catalog import Catalog
from monitor.domain import (
    EventKind,
    Incident,
    IncidentState,
    IntentAction,
    Severity,
    TouchpointState,
)
from monitor.errors import ConflictError, InputError, NotFoundError
from monitor.services.comms import Comms
from monitor.store import Store
from monitor.store.repositories.outbox import OutboxItem


def declare_incident(
    store: Store,
    *,
    catalog: Catalog,
    title: str,
    by: str,
    actor: str,
    at: datetime,
    touchpoints: Collection[str] = (),
    components: Collection[str] = (),
    severity: Severity | None = None,
    summary: str = "",
    comms: Comms | None = None,
) -> Incident:
    """Open an incident by hand (no alert needed), e.g. after a customer report."""
    unknown = [t for t in touchpoints if t not in catalog.touchpoints]
    unknown += [c for c in components if c not in catalog.components]
    if unknown:
        raise InputError(f"unknown touchpoints or components: {', '.join(sorted(unknown))}")
    states = dict.fromkeys(touchpoints, TouchpointState.MAJOR_OUTAGE)
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(
            title=title,
            at=at,
            severity=severity or Severity.SEV2,
            declared=True,
            touchpoints=states,
            components=components,
        )
        if severity is not None:
            uow.incidents.update(incident_id, {"severity_overridden": True})
        uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.OPENED,
            source=f"user:{by}",
            summary=f"Declared by {by}: {title}",
            data={"summary": summary, "touchpoints": sorted(touchpoints)},
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.declared",
            target=f"incident:{incident_id}",
            details={
                "by": by,
                "title": title,
                "severity": severity.value if severity else None,
                "touchpoints": sorted(touchpoints),
                "components": sorted(components),
            },
        )
        if comms is not None:
            comms.plan(uow, [incident_id])
        uow.commit()
        return uow.incidents.get(incident_id)


def acknowledge(
    store: Store,
    *,
    incident_id: int,
    by: str,
    actor: str,
    at: datetime,
    comms: Comms | None = None,
) -> Incident:
    """Record who took the incident; acknowledging twice keeps the first person."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        if incident.state is IncidentState.RESOLVED:
            raise ConflictError(f"incident {incident_id} is resolved")
        if incident.acknowledged_by is not None:
            return incident
        uow.incidents.update(
            incident_id, {"acknowledged_by": by[:255], "acknowledged_at": at, "updated_at": at}
        )
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.ACKNOWLEDGED,
            source=f"user:{by}",
            summary=f"Acknowledged by {by}",
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.acknowledged",
            target=f"incident:{incident_id}",
            details={"by": by, "event_id": event_id},
        )
        if comms is not None:
            comms.acknowledged(uow, incident_id)
        uow.commit()
        return uow.incidents.get(incident_id)


def change_state(
    store: Store,
    *,
    incident_id: int,
    state: IncidentState,
    by: str,
    actor: str,
    at: datetime,
    note: str = "",
    comms: Comms | None = None,
) -> Incident:
    """Move an incident to ``state``; reopening a resolved incident is allowed."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        if incident.merged_into is not None:
            raise ConflictError(f"incident {incident_id} was merged into {incident.merged_into}")
        if incident.state is state:
            raise ConflictError(f"incident {incident_id} is already {state.value}")
        changes: dict[str, object] = {"state": state, "updated_at": at}
        changes["resolved_at"] = at if state is IncidentState.RESOLVED else None
        if state is not IncidentState.RESOLVED:
            changes["quiet_since"] = None
        uow.incidents.update(incident_id, changes)
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.STATE_CHANGED,
            source=f"user:{by}",
            summary=f"{by} set the state to {state.value}" + (f": {note}" if note else ""),
            data={"from": incident.state.value, "to": state.value, "note": note},
        )
        # The note's free text stays on the timeline (event_id); the log keeps the shape.
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.state_changed",
            target=f"incident:{incident_id}",
            details={
                "by": by,
                "from": incident.state.value,
                "to": state.value,
                "event_id": event_id,
            },
        )
        if comms is not None:
            comms.plan(uow, [incident_id])
        uow.commit()
        return uow.incidents.get(incident_id)


def change_severity(
    store: Store,
    *,
    incident_id: int,
    severity: Severity,
    by: str,
    actor: str,
    at: datetime,
    reason: str = "",
    comms: Comms | None = None,
) -> Incident:
    """Override the derived severity; the monitor will not change it back by itself."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        uow.incidents.update(
            incident_id, {"severity": severity, "severity_overridden": True, "updated_at": at}
        )
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.SEVERITY_CHANGED,
            source=f"user:{by}",
            summary=f"{by} set the severity to {severity.value}"
            + (f": {reason}" if reason else ""),
            data={"from": incident.severity.value, "to": severity.value, "reason": reason},
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.severity_overridden",
            target=f"incident:{incident_id}",
            details={
                "by": by,
                "from": incident.severity.value,
                "to": severity.value,
                "event_id": event_id,
            },
        )
        if comms is not None:
            comms.plan(uow, [incident_id])
        uow.commit()
        return uow.incidents.get(incident_id)


def approve_customer_message(
    store: Store, *, key: str, by: str, actor: str, at: datetime, comms: Comms
) -> OutboxItem:
    """Release a drafted customer message for publication; the dispatcher then sends it."""
    with store.unit_of_work() as uow:
        draft = uow.outbox.by_key(key)
        if draft is None or draft.action is not IntentAction.CUSTOMER_MESSAGE:
            raise NotFoundError(f"no customer message draft {key!r}")
        already = draft.approved_by is not None
        approved = uow.outbox.approve(draft.id, by=by, at=at)
        if not already:
            event_id = uow.incidents.add_event(
                draft.incident_id,
                at=at,
                kind=EventKind.HUMAN_ACTION,
                source=f"user:{by}",
                summary=f"{by} approved the customer message for "
                f"{draft.payload.get('touchpoint')} / {draft.payload.get('segment')}",
                data={"key": key, "action": "approve_customer_message"},
            )
            uow.audit.record(
                at=at,
                actor=actor,
                action="customer_message.approved",
                target=f"incident:{draft.incident_id}",
                details={
                    "by": by,
                    "key": key,
                    "touchpoint": draft.payload.get("touchpoint"),
                    "segment": draft.payload.get("segment"),
                    "event_id": event_id,
                },
            )
            comms.plan(uow, [draft.incident_id])
        uow.commit()
        return approved


def escalate(
    store: Store, *, incident_id: int, by: str, actor: str, at: datetime, comms: Comms
) -> int:
    """Run the escalation steps now instead of waiting for their timers; returns how many."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        if incident.state is IncidentState.RESOLVED:
            raise ConflictError(f"incident {incident_id} is resolved")
        fired = comms.escalate_now(uow, incident_id, by=by)
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.HUMAN_ACTION,
            source=f"user:{by}",
            summary=f"{by} escalated the incident",
            data={"action": "escalate", "escalations": fired},
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.escalated",
            target=f"incident:{incident_id}",
            details={"by": by, "escalations": fired, "event_id": event_id},
        )
        uow.commit()
        return fired


def add_note(
    store: Store, *, incident_id: int, by: str, actor: str, at: datetime, note: str
) -> Incident:
    """Add a person's note to the timeline."""
    with store.unit_of_work() as uow:
        uow.incidents.get(incident_id)
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.HUMAN_ACTION,
            source=f"user:{by}",
            summary=f"{by}: {note}",
            data={"note": note},
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.note_added",
            target=f"incident:{incident_id}",
            details={"by": by, "event_id": event_id, "length": len(note)},
        )
        uow.commit()
        return uow.incidents.get(incident_id)
