"""The playbook step that writes an incident's post-incident report at resolution.

The report states the final estimate, which the scheduler computes once the
incident is resolved; the step therefore waits for it (checking every
``RECHECK``) up to the step's ``wait_for_final_minutes``, then writes the
report with or without it. Rendering belongs to ``monitor.report``, above
this layer, so the writer is handed in (``ReportWriter``); the report, the
timeline event and the step's result are committed together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitor.domain import EventKind, IncidentEvent
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.outbox import OutboxItem, OutboxStatus

RECHECK = timedelta(minutes=1)


@dataclass(frozen=True)
class StoredReport:
    """A report written into the store."""

    report_id: int
    final: bool
    path: str


class ReportWriter(Protocol):
    """Builds, renders and stores an incident's report in the caller's unit of work."""

    def __call__(self, uow: UnitOfWork, *, incident_id: int, now: datetime) -> StoredReport: ...


StepEvent = Callable[[UnitOfWork, OutboxItem, str, dict[str, Any]], None]
"""Records a step's outcome on the incident's timeline (the dispatcher's ``_event``)."""


def run_report_step(
    store: Store,
    item: OutboxItem,
    *,
    writer: ReportWriter | None,
    now: datetime,
    event: StepEvent,
) -> None:
    """Write the report now, or hold the step until the final estimate is in."""
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(item.incident_id)
        if incident.merged_into is not None or writer is None:
            why = (
                f"incident merged into {incident.merged_into}"
                if incident.merged_into is not None
                else "this process writes no reports"
            )
            uow.outbox.finish(item.id, status=OutboxStatus.SKIPPED, at=now, result={"why": why})
            uow.commit()
            return
        final = _final_estimate(uow, item.incident_id)
        written = _current_report(uow, item.incident_id, final)
        if written is not None:
            # another playbook's report step (or the safety net) wrote it already
            result = {"report_id": written, "why": "already written from the final estimate"}
            uow.outbox.finish(item.id, status=OutboxStatus.SKIPPED, at=now, result=result)
            uow.commit()
            return
        wait = timedelta(minutes=int(str(item.payload.get("wait_for_final_minutes", 15))))
        resolved = incident.resolved_at or now
        if final is None and now < resolved + wait:
            uow.outbox.hold(item.id, due_at=min(now + RECHECK, resolved + wait))
            uow.commit()
            return
        stored = writer(uow, incident_id=item.incident_id, now=now)
        ref: dict[str, object] = {
            "report_id": stored.report_id,
            "final": stored.final,
            "path": stored.path,
        }
        uow.outbox.finish(item.id, status=OutboxStatus.SENT, at=now, result=ref)
        what = "written" if stored.final else "written without a final estimate"
        event(uow, item, f"report #{stored.report_id} {what}", ref)
        uow.commit()


def _final_estimate(uow: UnitOfWork, incident_id: int) -> IncidentEvent | None:
    latest = uow.reports.latest_of_kind([incident_id], kind=EventKind.ESTIMATE_UPDATED)
    estimate = latest.get(incident_id)
    return estimate if estimate is not None and estimate.data.get("final") else None


def _current_report(
    uow: UnitOfWork, incident_id: int, estimate: IncidentEvent | None
) -> int | None:
    """The id of a final report at least as new as the final ``estimate``, if one exists."""
    report = uow.reports.latest_of_kind([incident_id], kind=EventKind.REPORT_WRITTEN).get(
        incident_id
    )
    if estimate is None or report is None or not report.data.get("final"):
        return None
    if report.at < estimate.at:
        return None
    return int(str(report.data.get("report_id")))
