"""What is broken for customers right now: status, touchpoints and components.

``GET /status`` is public (no token: the public view, no internals) and is
served from a snapshot cached for a few seconds, with an ETag, so a support
desk refreshing it, or a mobile app polling it, costs no database query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from monitor.api.auth import PrincipalDep, require
from monitor.api.deps import RuntimeDep
from monitor.api.status_answer import status_answer
from monitor.api.status_schemas import (
    ComponentRead,
    ComponentsRead,
    DayUptimeRead,
    StatePeriodRead,
    StatusRead,
    TouchpointRead,
)
from monitor.errors import NotFoundError
from monitor.services.components import Health
from monitor.services.status import StatusSnapshot, daily_uptime, touchpoint_periods

router = APIRouter(prefix="/api/v1", tags=["status"])
read = [Depends(require("status:read"))]


def snapshot(request: Request) -> StatusSnapshot:
    """The cached status snapshot of this app."""
    cached: StatusSnapshot = request.app.state.status_cache.get()
    return cached


@router.get("/status", response_model=StatusRead)
async def status(
    request: Request,
    who: PrincipalDep,
    rt: RuntimeDep,
    view: Annotated[str | None, Query(pattern="^(public|internal)$")] = None,
) -> Response:
    """Every touchpoint's state, open incidents and maintenance; the overall indicator."""
    cache = request.app.state.status_cache
    snap: StatusSnapshot = cache.fresh() or await run_in_threadpool(cache.get)
    answer = status_answer(
        snap,
        internal=who.allows("status:read") and view != "public",
        counts=rt.settings.public_show_counts,
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
        rendered=request.app.state.status_bodies,
    )
    return Response(answer.body, status_code=answer.status_code, headers=answer.headers)


@router.get("/touchpoints", dependencies=read)
def touchpoints(request: Request) -> StatusRead:
    """Every touchpoint with its state, incidents and latest estimate (internal view)."""
    return StatusRead.of(snapshot(request), internal=True, counts=True)


@router.get("/touchpoints/{touchpoint_id}", dependencies=read)
def touchpoint(touchpoint_id: str, request: Request, rt: RuntimeDep) -> TouchpointRead:
    """One touchpoint: state, why, and 90 days of states and uptime."""
    spec = rt.catalog.touchpoints.get(touchpoint_id)
    if spec is None:
        raise NotFoundError(f"touchpoint {touchpoint_id!r} is not in the catalog")
    now = rt.clock()
    periods = touchpoint_periods(rt.store, touchpoint=touchpoint_id, now=now)
    days = daily_uptime(periods, now=now)
    current = next(t for t in snapshot(request).touchpoints if t.id == touchpoint_id)
    return TouchpointRead(
        id=spec.id,
        name=spec.name,
        journey=spec.journey,
        segments=list(spec.segments),
        team=spec.team,
        state=current.state,
        since=current.since,
        explanation=list(health(request).explanations.get(touchpoint_id, ())),
        depends_on=[d.target for d in spec.depends_on],
        uptime_90d=round(sum(d.uptime for d in days) / len(days), 6),
        days=[DayUptimeRead.of(d) for d in days],
        periods=[StatePeriodRead(state=p.state, since=p.since, until=p.until) for p in periods],
    )


@router.get("/components", dependencies=read)
def components(request: Request) -> ComponentsRead:
    """Components that are not up (own alerts or what they depend on), and unmapped alerts."""
    found = health(request)
    return ComponentsRead(
        components=[
            ComponentRead(
                id=c.id, name=c.name, kind=c.kind, health=c.health, firing_alerts=list(c.alerts)
            )
            for c in found.components
        ],
        unmapped_alerts=list(found.unmapped),
    )


def health(request: Request) -> Health:
    """The cached component health of this app."""
    cached: Health = request.app.state.health_cache.get()
    return cached
