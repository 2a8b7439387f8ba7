"""Action items of an incident: added and changed by people, listed in its report.

Each change is one unit of work and leaves a ``human_action`` event on the
incident's timeline, so the report's timeline shows when follow-ups were
agreed and closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.domain import EventKind
from monitor.store import Store
from monitor.store.repositories.action_items import ActionItem


def list_action_items(store: Store, *, incident_id: int) -> list[ActionItem]:
    """An incident's action items, oldest first (NotFoundError for an unknown incident)."""
    with store.unit_of_work() as uow:
        uow.incidents.get(incident_id)
        return uow.action_items.of_incident(incident_id)


def add_action_item(
    store: Store,
    *,
    incident_id: int,
    title: str,
    by: str,
    at: datetime,
    owner: str | None = None,
    due_on: str | None = None,
    note: str | None = None,
) -> ActionItem:
    """Record a follow-up of an incident."""
    with store.unit_of_work() as uow:
        uow.incidents.get(incident_id)
        item = uow.action_items.add(
            incident_id, title=title, by=by, at=at, owner=owner, due_on=due_on, note=note
        )
        uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.HUMAN_ACTION,
            source=f"user:{by}",
            summary=f"Action item #{item.id} added: {item.title}",
            data={"action": "action_item_added", "action_item": item.id},
        )
        uow.commit()
    return item


def change_action_item(
    store: Store,
    *,
    incident_id: int,
    item_id: int,
    changes: Mapping[str, Any],
    by: str,
    at: datetime,
) -> ActionItem:
    """Change an action item's title, owner, status, due date or note."""
    with store.unit_of_work() as uow:
        item = uow.action_items.update(incident_id, item_id, changes, at=at)
        uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.HUMAN_ACTION,
            source=f"user:{by}",
            summary=f"Action item #{item.id} changed ({', '.join(sorted(changes))}): "
            f"{item.status.value}",
            data={"action": "action_item_changed", "action_item": item.id},
        )
        uow.commit()
    return item
