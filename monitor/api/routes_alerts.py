"""Alerts that matched no component, and payloads that were refused: never dropped, shown here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from monitor.api.auth import require
from monitor.api.deps import RuntimeDep
from monitor.api.schemas import AlertRead, RejectedRead

router = APIRouter(
    prefix="/api/v1", tags=["alerts"], dependencies=[Depends(require("status:read"))]
)


@router.get("/alerts/unmapped")
def unmapped(
    rt: RuntimeDep,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[AlertRead]:
    """Alerts tied to no catalog component."""
    with rt.store.unit_of_work() as uow:
        found = uow.alerts.unmapped(firing_only=not include_resolved, limit=limit)
    return [AlertRead.of(a) for a in found]


@router.get("/rejected")
def rejected(rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[RejectedRead]:
    """Refused payloads, newest first, with the start of their body."""
    with rt.store.unit_of_work() as uow:
        found = uow.inbox.rejected(limit=limit)
    return [
        RejectedRead(
            id=r.id,
            received_at=r.received_at,
            endpoint=r.endpoint,
            reason=r.reason,
            content_type=r.content_type,
            size_bytes=r.size_bytes,
            truncated=r.truncated,
            body_preview=r.body[:4096].decode("utf-8", errors="replace"),
        )
        for r in found
    ]
