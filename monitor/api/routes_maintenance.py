"""Maintenance windows: declared ahead, shown to everyone, and they keep alerts from paging."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from monitor.api.auth import Principal, require
from monitor.api.deps import RuntimeDep
from monitor.api.schemas import Strict
from monitor.domain import MaintenanceWindow
from monitor.services.maintenance import declare_maintenance, upcoming_maintenance

router = APIRouter(prefix="/api/v1/maintenances", tags=["maintenance"])


class MaintenanceCreate(Strict):
    """A window to declare; times must carry their offset."""

    title: str = Field(min_length=3, max_length=500)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    components: list[str] = Field(default_factory=list, max_length=2000)
    touchpoints: list[str] = Field(default_factory=list, max_length=500)
    created_by: str = Field(min_length=1, max_length=255)


class MaintenanceRead(BaseModel):
    """A declared window."""

    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    components: list[str]
    touchpoints: list[str]

    @classmethod
    def of(cls, window: MaintenanceWindow) -> MaintenanceRead:
        """The API view of a window."""
        return cls(
            id=window.id,
            title=window.title,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            components=list(window.components),
            touchpoints=list(window.touchpoints),
        )


@router.post("", status_code=201)
def declare(
    body: MaintenanceCreate,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(require("incidents:write"))],
) -> MaintenanceRead:
    """Declare a maintenance window; correlation takes it into account at once."""
    window = declare_maintenance(
        rt.store,
        catalog=rt.catalog,
        title=body.title,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        components=body.components,
        touchpoints=body.touchpoints,
        by=body.created_by,
        actor=who.actor,
        now=rt.clock(),
    )
    rt.pipeline.request_rebuild()
    rt.worker.wake()
    return MaintenanceRead.of(window)


@router.get("")
def list_windows(rt: RuntimeDep) -> list[MaintenanceRead]:
    """Windows in progress or to come."""
    return [MaintenanceRead.of(w) for w in upcoming_maintenance(rt.store, now=rt.clock())]
