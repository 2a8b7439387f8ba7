"""Incidents: declare, list, read with timeline, acknowledge, change state and severity."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from monitor.api.auth import require
from monitor.api.deps import RuntimeDep
from monitor.api.errors import QueryError
from monitor.api.schemas import (
    AcknowledgeCreate,
    AlertRead,
    EventRead,
    IncidentCreate,
    IncidentDetail,
    IncidentPage,
    IncidentPatch,
    IncidentRead,
    PublicUpdateCreate,
    SeverityChangeCreate,
    StateChangeCreate,
)
from monitor.api.status_schemas import PublicUpdateRead
from monitor.domain import IncidentState
from monitor.services import actions
from monitor.services.publishing import publish_update

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An incident's id.")]
write = [Depends(require("incidents:write"))]
read = [Depends(require("status:read"))]


@router.post("", status_code=201, dependencies=write)
def declare(body: IncidentCreate, rt: RuntimeDep) -> IncidentRead:
    """Declare an incident by hand."""
    incident = actions.declare_incident(
        rt.store,
        comms=rt.comms,
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
    return IncidentDetail(
        **IncidentRead.of(incident).model_dump(),
        timeline=[EventRead.of(e) for e in timeline],
        alerts=[AlertRead.of(a) for a in alerts],
    )


@router.post("/{incident_id}/acknowledge", dependencies=write)
def acknowledge(incident_id: IncidentId, body: AcknowledgeCreate, rt: RuntimeDep) -> IncidentRead:
    """Record who took the incident."""
    return IncidentRead.of(
        actions.acknowledge(
            rt.store, comms=rt.comms, incident_id=incident_id, by=body.by, at=rt.clock()
        )
    )


@router.post("/{incident_id}/state", dependencies=write)
def change_state(incident_id: IncidentId, body: StateChangeCreate, rt: RuntimeDep) -> IncidentRead:
    """Move the incident to another state."""
    return IncidentRead.of(
        actions.change_state(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            state=body.state,
            by=body.by,
            at=rt.clock(),
            note=body.note,
        )
    )


@router.post("/{incident_id}/severity", dependencies=write)
def change_severity(
    incident_id: IncidentId, body: SeverityChangeCreate, rt: RuntimeDep
) -> IncidentRead:
    """Override the derived severity."""
    return IncidentRead.of(
        actions.change_severity(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            severity=body.severity,
            by=body.by,
            at=rt.clock(),
            reason=body.reason,
        )
    )


@router.patch("/{incident_id}", dependencies=write)
def patch_incident(incident_id: IncidentId, body: IncidentPatch, rt: RuntimeDep) -> IncidentRead:
    """Acknowledge, change state or severity, or add a note, in one call."""
    now = rt.clock()
    incident = None
    if body.acknowledge:
        incident = actions.acknowledge(
            rt.store, comms=rt.comms, incident_id=incident_id, by=body.by, at=now
        )
    if body.state is not None:
        incident = actions.change_state(
            rt.store,
            comms=rt.comms,
            incident_id=incident_id,
            state=body.state,
            by=body.by,
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
            at=now,
        )
    if body.note and body.state is None:
        incident = actions.add_note(
            rt.store, incident_id=incident_id, by=body.by, at=now, note=body.note
        )
    assert incident is not None  # the schema requires at least one change
    return IncidentRead.of(incident)


@router.post("/{incident_id}/updates", status_code=201, dependencies=write)
def publish(incident_id: IncidentId, body: PublicUpdateCreate, rt: RuntimeDep) -> PublicUpdateRead:
    """Publish a customer-facing update on the status page."""
    event = publish_update(
        rt.store,
        incident_id=incident_id,
        by=body.by,
        message_en=body.message_en,
        message_fr=body.message_fr,
        at=rt.clock(),
    )
    return PublicUpdateRead.of(event)


MAX_SCAN = 5000
"""Rows scanned at most to fill one filtered page (the cursor resumes after them)."""


def encode_cursor(position: tuple[datetime, int]) -> str:
    """An opaque cursor for the position after ``(opened_at, id)``."""
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor stands for; QueryError when it was not made by this API."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, last_id = json.loads(base64.urlsafe_b64decode(padded))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(last_id, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise QueryError("cursor: not a cursor returned by this API") from exc
    return moment, last_id
