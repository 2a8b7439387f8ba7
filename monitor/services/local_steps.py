"""Playbook steps the monitor carries out itself: its status page, the remediation export.

Both finish their outbox row in the transaction that does the work, so a
retried row never publishes the same update twice or exports twice (the
report step, ``report_step``, works the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from monitor.catalog import Catalog
from monitor.domain import EventKind
from monitor.notify.export import QUERY_ROLE, export_customer_ids
from monitor.services.report_step import StepEvent
from monitor.store import Store
from monitor.store.repositories.outbox import OutboxItem, OutboxStatus


def publish_step(store: Store, item: OutboxItem, *, now: datetime, event: StepEvent) -> None:
    """Publish the step's text on this monitor's own status page, in the row's transaction.

    The update event and the row's "sent" are committed together, so a
    retried row can never publish the same update twice.
    """
    payload = item.payload
    text = str(payload.get("text", ""))
    with store.unit_of_work() as uow:
        if uow.incidents.get(item.incident_id).merged_into is not None:
            uow.outbox.finish(item.id, status=OutboxStatus.SKIPPED, at=now, result={})
            uow.commit()
            return
        event_id = uow.incidents.add_event(
            item.incident_id,
            at=now,
            kind=EventKind.PUBLIC_UPDATE,
            source=f"playbook:{item.playbook}",
            summary=text,
            data={
                "en": text,
                "fr": str(payload.get("text_fr", "")),
                "touchpoint": payload.get("touchpoint"),
                "state": payload.get("state"),
                "pinned": bool(payload.get("pinned")),
            },
        )
        ref = {"event_id": event_id, "touchpoint": payload.get("touchpoint")}
        uow.outbox.finish(item.id, status=OutboxStatus.SENT, at=now, result=ref)
        event(uow, item, "published on the status page", ref)
        uow.commit()


def export_step(
    store: Store,
    item: OutboxItem,
    *,
    catalog: Catalog,
    directory: Path,
    database_url: str | None,
    clock: Callable[[], datetime],
    event: StepEvent,
) -> None:
    """Export the affected customers' ids for remediation, and audit who got them."""
    payload = item.payload
    touchpoints = [str(t) for t in payload.get("touchpoints") or []]
    queries = {
        t: spec.queries[QUERY_ROLE]
        for t in touchpoints
        if t in catalog.touchpoints
        for spec in catalog.touchpoints[t].estimators
        if QUERY_ROLE in spec.queries
    }
    result = export_customer_ids(
        key=item.key,
        directory=directory,
        database_url=database_url,
        queries=queries,
        touchpoints=touchpoints,
        start=datetime.fromisoformat(str(payload["start"])),
        end=datetime.fromisoformat(str(payload["end"])),
    )
    with store.unit_of_work() as uow:
        if result.retryable and item.attempts < 5:
            uow.outbox.reschedule(
                item.id,
                due_at=clock() + timedelta(minutes=item.attempts),
                error=result.note,
            )
        else:
            ref = {"path": str(result.path) if result.path else None, "count": result.count}
            uow.outbox.finish(item.id, status=OutboxStatus.SENT, at=clock(), result=ref)
            event(uow, item, result.note, ref)
            uow.audit.record(
                at=clock(),
                actor=f"playbook:{item.playbook}",
                action="customer_ids.exported",
                target=f"incident:{item.incident_id}",
                details={
                    "key": item.key,
                    "touchpoints": touchpoints,
                    "approved_by": item.approved_by,
                    **ref,
                },
            )
        uow.commit()
