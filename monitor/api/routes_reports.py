"""Post-incident reports and their action items.

``GET /api/v1/incidents/{id}/report`` renders the report from what the store
holds now (``stored=true``: the newest report written at resolution, as it
was written). Reading needs ``status:read``; changing action items needs
``incidents:write``.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime

from monitor.api.auth import require
from monitor.api.deps import RuntimeDep
from monitor.api.errors import QueryError
from monitor.api.report_schemas import (
    ActionItemCreate,
    ActionItemPatch,
    ActionItemRead,
    StoredReportRead,
)
from monitor.bootstrap import Runtime
from monitor.errors import NotFoundError
from monitor.report import (
    MEDIA_TYPES,
    ReportFormat,
    build_report,
    period_summary,
    render,
    render_period,
    store_report,
    write_due_reports,
)
from monitor.services.action_items import add_action_item, change_action_item, list_action_items

router = APIRouter(tags=["reports"])
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An incident's id.")]
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An action item's id.")]
Format = Annotated[ReportFormat, Query(alias="format", description="md, html or json.")]
read = [Depends(require("status:read"))]
write = [Depends(require("incidents:write"))]
MAX_PERIOD_DAYS = 400


def install(app: FastAPI, runtime: Runtime) -> None:
    """Serve the report endpoints and have the worker write reports at resolution."""
    app.include_router(router)
    runtime.worker.report_writer = lambda *, now: write_due_reports(
        runtime.store, catalog=runtime.catalog, now=now
    )
    runtime.dispatcher.report_writer = lambda uow, *, incident_id, now: store_report(
        uow, catalog=runtime.catalog, incident_id=incident_id, now=now
    )


@router.get("/api/v1/incidents/{incident_id}/report", dependencies=read)
def incident_report(
    incident_id: IncidentId,
    rt: RuntimeDep,
    fmt: Format = ReportFormat.HTML,
    stored: Annotated[bool, Query(description="The newest report written at resolution.")] = False,
) -> Response:
    """The post-incident report: summary, customer impact, timeline, communications, charts."""
    if stored:
        return _stored(rt, incident_id, fmt)
    with rt.store.unit_of_work() as uow:
        report = build_report(uow, catalog=rt.catalog, incident_id=incident_id, now=rt.clock())
    return Response(render(report, fmt), media_type=MEDIA_TYPES[fmt])


@router.get("/api/v1/incidents/{incident_id}/reports", dependencies=read)
def stored_reports(incident_id: IncidentId, rt: RuntimeDep) -> list[StoredReportRead]:
    """The reports written for an incident, oldest first."""
    with rt.store.unit_of_work() as uow:
        uow.incidents.get(incident_id)
        return [StoredReportRead.of(r) for r in uow.reports.of_incident(incident_id)]


@router.get("/api/v1/reports/period", dependencies=read)
def period_report(
    rt: RuntimeDep,
    since: Annotated[AwareDatetime, Query()],
    until: Annotated[AwareDatetime, Query()],
    fmt: Format = ReportFormat.JSON,
) -> Response:
    """Every incident opened in [since, until): customers affected, outage minutes, trends."""
    if until <= since or (until - since).days > MAX_PERIOD_DAYS:
        raise QueryError(f"until: must be after since, at most {MAX_PERIOD_DAYS} days later")
    with rt.store.unit_of_work() as uow:
        summary = period_summary(uow, catalog=rt.catalog, since=since, until=until, now=rt.clock())
    return Response(render_period(summary, fmt), media_type=MEDIA_TYPES[fmt])


@router.get("/api/v1/incidents/{incident_id}/action-items", dependencies=read)
def action_items(incident_id: IncidentId, rt: RuntimeDep) -> list[ActionItemRead]:
    """An incident's action items, oldest first."""
    return [ActionItemRead.of(i) for i in list_action_items(rt.store, incident_id=incident_id)]


@router.post("/api/v1/incidents/{incident_id}/action-items", status_code=201, dependencies=write)
def add_item(incident_id: IncidentId, body: ActionItemCreate, rt: RuntimeDep) -> ActionItemRead:
    """Add a follow-up to an incident."""
    item = add_action_item(
        rt.store,
        incident_id=incident_id,
        title=body.title,
        by=body.by,
        at=rt.clock(),
        owner=body.owner,
        due_on=body.due_on.isoformat() if body.due_on else None,
        note=body.note,
    )
    return ActionItemRead.of(item)


@router.patch("/api/v1/incidents/{incident_id}/action-items/{item_id}", dependencies=write)
def change_item(
    incident_id: IncidentId, item_id: ItemId, body: ActionItemPatch, rt: RuntimeDep
) -> ActionItemRead:
    """Change an action item (owner, status, due date, title, note)."""
    item = change_action_item(
        rt.store,
        incident_id=incident_id,
        item_id=item_id,
        changes=body.changes(),
        by=body.by,
        at=rt.clock(),
    )
    return ActionItemRead.of(item)


def _stored(rt: Runtime, incident_id: int, fmt: ReportFormat) -> Response:
    with rt.store.unit_of_work() as uow:
        uow.incidents.get(incident_id)
        reports = uow.reports.of_incident(incident_id)
    if not reports:
        raise NotFoundError(f"no report was written for incident {incident_id} yet")
    newest = reports[-1]
    if fmt is ReportFormat.JSON:
        text = json.dumps(newest.body, indent=2, ensure_ascii=False) + "\n"
    else:
        text = newest.markdown if fmt is ReportFormat.MD else newest.html
    return Response(text, media_type=MEDIA_TYPES[fmt])
