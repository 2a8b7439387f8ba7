"""Customer-facing status updates: the only incident text the public status shows.

Internal timelines name components and alerts; customers read these updates,
written (or approved) by people, in English and optionally French.
"""

from __future__ import annotations

from datetime import datetime

from monitor.domain import EventKind, IncidentEvent, IncidentState
from monitor.errors import ConflictError
from monitor.store import Store


def publish_update(
    store: Store,
    *,
    incident_id: int,
    by: str,
    actor: str,
    message_en: str,
    message_fr: str | None,
    at: datetime,
) -> IncidentEvent:
    """Publish an update on the status page for an incident (merged incidents refuse)."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        if incident.merged_into is not None:
            raise ConflictError(
                f"incident {incident_id} was merged into {incident.merged_into}; publish there"
            )
        event_id = uow.incidents.add_event(
            incident_id,
            at=at,
            kind=EventKind.PUBLIC_UPDATE,
            source=f"user:{by}",
            summary=message_en,
            data={
                "en": message_en,
                "fr": message_fr or "",
                "state": incident.state.value,
                "resolved": incident.state is IncidentState.RESOLVED,
            },
        )
        uow.audit.record(
            at=at,
            actor=actor,
            action="incident.public_update_published",
            target=f"incident:{incident_id}",
            details={"by": by, "event_id": event_id, "french": bool(message_fr)},
        )
        uow.commit()
        events = [
            e for e in uow.incidents.timeline(incident_id) if e.kind is EventKind.PUBLIC_UPDATE
        ]
    return events[-1]
