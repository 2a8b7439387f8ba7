"""Action items agreed after an incident: what to change, who owns it, until when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import NotFoundError
from monitor.store.models import ActionItemRow


class ActionItemStatus(StrEnum):
    """Where an action item stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(frozen=True)
class ActionItem:
    """One follow-up of an incident."""

    id: int
    incident_id: int
    title: str
    owner: str | None
    status: ActionItemStatus
    due_on: str | None
    note: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


_MUTABLE = frozenset({"title", "owner", "status", "due_on", "note"})


class ActionItemRepository:
    """Reads and writes ``action_items``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        incident_id: int,
        *,
        title: str,
        by: str,
        at: datetime,
        owner: str | None = None,
        due_on: str | None = None,
        note: str | None = None,
    ) -> ActionItem:
        """Record a new open action item of an incident."""
        row = ActionItemRow(
            incident_id=incident_id,
            title=title[:500],
            owner=owner,
            status=ActionItemStatus.OPEN.value,
            due_on=due_on,
            note=note,
            created_by=by[:255],
            created_at=at,
            updated_at=at,
        )
        self._session.add(row)
        self._session.flush()
        return _item(row)

    def of_incident(self, incident_id: int) -> list[ActionItem]:
        """An incident's action items in the order they were added."""
        stmt = (
            select(ActionItemRow)
            .where(ActionItemRow.incident_id == incident_id)
            .order_by(ActionItemRow.id)
        )
        return [_item(r) for r in self._session.scalars(stmt)]

    def update(
        self, incident_id: int, item_id: int, changes: Mapping[str, Any], *, at: datetime
    ) -> ActionItem:
        """Change some fields of an item of this incident; NotFoundError when it has none."""
        unknown = set(changes) - _MUTABLE
        if unknown:
            raise ValueError(f"cannot change action item fields {sorted(unknown)}")
        row = self._session.get(ActionItemRow, item_id)
        if row is None or row.incident_id != incident_id:
            raise NotFoundError(f"incident {incident_id} has no action item {item_id}")
        for name, value in changes.items():
            setattr(row, name, value.value if isinstance(value, StrEnum) else value)
        row.updated_at = at
        self._session.flush()
        return _item(row)


def _item(row: ActionItemRow) -> ActionItem:
    return ActionItem(
        id=row.id,
        incident_id=row.incident_id,
        title=row.title,
        owner=row.owner,
        status=ActionItemStatus(row.status),
        due_on=row.due_on,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
