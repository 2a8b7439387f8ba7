"""Incidents: declare, list, read with timeline, acknowledge, change state and severity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from monitor.api.deps import RuntimeDep, require_ingest_token
from monitor.api.schemas import (
    AcknowledgeCreate,
    AlertRead,
    EventRead,
    IncidentCreate,
    IncidentDetail,
    IncidentRead,
    SeverityChangeCreate,
    StateChangeCreate,
)
from monitor.domain import IncidentState
from monitor.services import actions

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
write = [Depends(require_ingest_token)]


@router.post("", status_code=201, dependencies=write)
def declare(body: IncidentCreate, rt: RuntimeDep) -> IncidentRead:
    """Declare an incident by hand."""
    incident = actions.declare_incident(
        rt.store,
        catalog=rt.catalog,
        title=body.title,
        by=body.declared_by,
        at=rt.clock(),
        touchpoints=body.touchpoints,
        components=body.components,
        severity=body.severity,
        summary=body.summary,
    )
    return IncidentRead.of(incident)


@router.get("")
def list_incidents(
    rt: RuntimeDep,
    state: Annotated[list[IncidentState] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IncidentRead]:
    """Incidents, newest first."""
    with rt.store.unit_of_work() as uow:
        found = uow.incidents.recent(states=state or (), limit=limit, offset=offset)
    return [IncidentRead.of(i) for i in found]


@router.get("/{incident_id}")
def read_incident(incident_id: int, rt: RuntimeDep) -> IncidentDetail:
    """One incident with its timeline and alerts."""
    with rt.store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        timeline = uow.incidents.timeline(incident_id)
        alerts = uow.alerts.of_incident(incident_id)
    return IncidentDetail(
        **IncidentRead.of(incident).model_dump(),
        timeline=[EventRead.of(e) for e in timeline],
        alerts=[AlertRead.of(a) for a in alerts],
    )


@router.post("/{incident_id}/acknowledge", dependencies=write)
def acknowledge(incident_id: int, body: AcknowledgeCreate, rt: RuntimeDep) -> IncidentRead:
    """Record who took the incident."""
    return IncidentRead.of(
        actions.acknowledge(rt.store, incident_id=incident_id, by=body.by, at=rt.clock())
    )


@router.post("/{incident_id}/state", dependencies=write)
def change_state(incident_id: int, body: StateChangeCreate, rt: RuntimeDep) -> IncidentRead:
    """Move the incident to another state."""
    return IncidentRead.of(
        actions.change_state(
            rt.store,
            incident_id=incident_id,
            state=body.state,
            by=body.by,
            at=rt.clock(),
            note=body.note,
        )
    )


@router.post("/{incident_id}/severity", dependencies=write)
def change_severity(incident_id: int, body: SeverityChangeCreate, rt: RuntimeDep) -> IncidentRead:
    """Override the derived severity."""
    return IncidentRead.of(
        actions.change_severity(
            rt.store,
            incident_id=incident_id,
            severity=body.severity,
            by=body.by,
            at=rt.clock(),
            reason=body.reason,
        )
    )
