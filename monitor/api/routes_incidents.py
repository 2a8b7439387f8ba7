"""Incidents: declare, list, read with timeline, acknowledge, change state and severity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from monitor.api.auth import Principal, require
from monitor.api.cursor import decode_cursor, encode_cursor
from monitor.api.deps import RuntimeDep
from monitor.api.errors import QueryError
from monitor.api.schemas import (
    AcknowledgeCreate,
    AlertRead,
    EstimatePointRead,
    EventRead,
    IncidentCreate,
    IncidentDetail,
    IncidentPage,
    IncidentPatch,
    IncidentRead,
    PlaybookStepRead,
    PublicUpdateCreate,
    SeverityChangeCreate,
    StateChangeCreate,
)
from monitor.api.status_schemas import PublicUpdateRead
from monitor.domain import EventKind, IncidentState
from monitor.services import actions
from monitor.services.publishing import publish_update

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An incident's id.")]
read = [Depends(require("status:read"))]
Writer = Annotated[Principal, Depends(require("incidents:write"))]
"""The caller of a write, whom the audit log names."""


@router.post("", status_code=201)
def declare(body: IncidentCreate, rt: RuntimeDep, who: Writer) -> IncidentRead:
    """Declare an incident by hand."""
    incident = actions.declare_incident(
        rt.store,
        comms=rt.comms,
        catalog=rt.catalog,
        title=body.title,
        by=body.declared_by,
        actor=who.actor,
        at=rt.clock(),
        touchpoints=body.touchpoints,
        components=body.components,
        severity=body.severity,
        summary=body.summary,
    )
    return IncidentRead.of(incident)


@router.get("", dependencies=read)
def list_incidents(
    rt: RuntimeDep,
    state: Annotated[list[IncidentState] | None, Query()] = None,
    touchpoint: Annotated[str | None, Query(max_length=80)] = None,
    opened_from: Annotated[AwareDatetime | None, Query()] = None,
    opened_to: Annotated[AwareDatetime | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> IncidentPage:
    """Incidents, newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    if touchpoint is not None and touchpoint not in rt.catalog.touchpoints:
        raise QueryError(f"touchpoint: {touchpoint!r} is not in the catalog")
    after = decode_cursor(cursor) if cursor else None
    items: list[IncidentRead] = []
    scanned = 0
    exhausted = False
    with rt.store.unit_of_work() as uow:
        while len(items) < limit and scanned < MAX_SCAN and not exhausted:
            batch = uow.incidents.page(
                states=state or (),
                opened_from=opened_from,
                opened_to=opened_to,
                after=after,
                limit=limit,
            )
            scanned += len(batch)
            consumed = 0
            for incident in batch:
                after = (incident.opened_at, incident.id)
                consumed += 1
                if touchpoint is None or touchpoint in incident.peak_touchpoints:
                    items.append(IncidentRead.of(incident))
                    if len(items) == limit:
                        break
            exhausted = len(batch) < limit and consumed == len(batch)
    next_cursor = None if exhausted or after is None else encode_cursor(after)
    return IncidentPage(items=items, next_cursor=next_cursor)


@router.get("/{incident_id}", dependencies=read)
def read_incident(incident_id: IncidentId, rt: RuntimeDep) -> IncidentDetail:
    """One incident with its timeline (and those of incidents merged into it) and alerts."""
    with rt.store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        timeline = uow.incidents.timeline(incident_id, with_merged=True)
        alerts = uow.alerts.of_incident(incident_id)
        steps = uow.outbox.of_incident(incident_id)
    return IncidentDetail(
        **IncidentRead.of(incident).model_dump(),
        timeline=[EventRead.of(e) for e in timeline],
        alerts=[AlertRead.of(a) for a in alerts],
        estimates=[
            EstimatePointRead.of(e)
            for e in timeline
            if e.kind is EventKind.ESTIMATE_UPDATED and e.incident_id == incident_id
        ],
        playbook_steps=[PlaybookStepRead.of(i) for i in steps],
    )


@router.post("/{incident_id}/acknowledge")
def acknowledge(
    incident_id: IncidentId, body: AcknowledgeCreate, rt: RuntimeDep, who: Writer
) -> IncidentRead:
    """Record who took the incident."""
    return IncidentRead.of(
        actions.acknowledge(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            by=body.by,
            actor=who.actor,
            at=rt.clock(),
        )
    )


@router.post("/{incident_id}/state")
def change_state(
    incident_id: IncidentId, body: StateChangeCreate, rt: RuntimeDep, who: Writer
) -> IncidentRead:
    """Move the incident to another state."""
    return IncidentRead.of(
        actions.change_state(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            state=body.state,
            by=body.by,
            actor=who.actor,
            at=rt.clock(),
            note=body.note,
        )
    )


@router.post("/{incident_id}/severity")
def change_severity(
    incident_id: IncidentId, body: SeverityChangeCreate, rt: RuntimeDep, who: Writer
) -> IncidentRead:
    """Override the derived severity."""
    return IncidentRead.of(
        actions.change_severity(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            severity=body.severity,
            by=body.by,
            actor=who.actor,
            at=rt.clock(),
            reason=body.reason,
        )
    )


@router.patch("/{incident_id}")
def patch_incident(
    incident_id: IncidentId, body: IncidentPatch, rt: RuntimeDep, who: Writer
) -> IncidentRead:
    """Acknowledge, change state or severity, or add a note, in one call."""
    now = rt.clock()
    incident = None
    if body.acknowledge:
        incident = actions.acknowledge(
            rt.store, comms=rt.comms, incident_id=incident_id, by=body.by, actor=who.actor, at=now
        )
    if body.state is not None:
        incident = actions.change_state(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            state=body.state,
            by=body.by,
            actor=who.actor,
            at=now,
            note=body.note,
        )
    if body.severity is not None:
        incident = actions.change_severity(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            severity=body.severity,
            by=body.by,
            actor=who.actor,
            at=now,
        )
    if body.note and body.state is None:
        incident = actions.add_note(
            rt.store, incident_id=incident_id, by=body.by, actor=who.actor, at=now, note=body.note
        )
    assert incident is not None  # the schema requires at least one change
    return IncidentRead.of(incident)


@router.post("/{incident_id}/updates", status_code=201)
def publish(
    incident_id: IncidentId, body: PublicUpdateCreate, rt: RuntimeDep, who: Writer
) -> PublicUpdateRead:
    """Publish a customer-facing update on the status page."""
    event = publish_update(
        rt.store,
        incident_id=incident_id,
        by=body.by,
        actor=who.actor,
        message_en=body.message_en,
        message_fr=body.message_fr,
        at=rt.clock(),
    )
    return PublicUpdateRead.of(event)


MAX_SCAN = 5000
"""Rows scanned at most to fill one filtered page (the cursor resumes after them)."""
