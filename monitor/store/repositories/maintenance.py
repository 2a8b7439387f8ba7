"""Declared maintenance windows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.domain import MaintenanceWindow
from monitor.store.models import MaintenanceWindowRow
from monitor.store.repositories.convert import window_from_row


class MaintenanceRepository:
    """Reads and writes ``maintenance_windows``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        components: Collection[str],
        touchpoints: Collection[str],
        created_by: str,
        created_at: datetime,
    ) -> MaintenanceWindow:
        """Declare a window; returns it with its id."""
        row = MaintenanceWindowRow(
            title=title[:500],
            starts_at=starts_at,
            ends_at=ends_at,
            components=sorted(components),
            touchpoints=sorted(touchpoints),
            created_by=created_by[:255],
            created_at=created_at,
        )
        self._session.add(row)
        self._session.flush()
        return window_from_row(row)

    def current_and_future(self, *, now: datetime) -> list[MaintenanceWindow]:
        """Windows that have not ended yet, soonest first."""
        stmt = (
            select(MaintenanceWindowRow)
            .where(MaintenanceWindowRow.ends_at > now)
            .order_by(MaintenanceWindowRow.starts_at, MaintenanceWindowRow.id)
        )
        return [window_from_row(r) for r in self._session.scalars(stmt)]
