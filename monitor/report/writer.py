"""Writing post-incident reports into the store when incidents are resolved.

A playbook's ``report`` step (``on_resolve``) writes the report through
``store_report``, once the final estimate is in or after its wait. As a
safety net, the worker also calls ``write_due_reports`` on every pass for the
incidents no pending report step covers: a resolved incident is
due when it has a final estimate newer than its last report, or, when no
final estimate comes (an incident with no touchpoint to estimate), once
``GRACE`` has passed since resolution and it has no report yet. Each report
is kept in ``incident_reports`` in Markdown, HTML and JSON, and announced on
the timeline with a ``report_written`` event naming its id and where the API
serves it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from monitor.catalog import Catalog
from monitor.domain import EventKind, IntentAction
from monitor.report.assemble import build_report
from monitor.report.render import ReportFormat, render, report_json
from monitor.services.report_step import StoredReport
from monitor.store import Store, UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "report"
GRACE = timedelta(minutes=15)
"""How long after resolution a report is written without waiting for a final estimate."""
LOOKBACK = timedelta(days=7)
"""Incidents resolved longer ago than this are not looked at again."""
MAX_PER_PASS = 20
WINDOW = 1000
"""At most this many incidents a report may be due for are looked at per pass, oldest first."""


def report_path(incident_id: int) -> str:
    """Where the API serves an incident's report."""
    return f"/api/v1/incidents/{incident_id}/report"


def write_report(store: Store, *, catalog: Catalog, incident_id: int, now: datetime) -> int:
    """Build, render and store the report of one incident; returns the stored report's id."""
    with store.unit_of_work() as uow:
        report_id = store_report(uow, catalog=catalog, incident_id=incident_id, now=now).report_id
        uow.commit()
    return report_id


def store_report(
    uow: UnitOfWork, *, catalog: Catalog, incident_id: int, now: datetime
) -> StoredReport:
    """Build, render and store the report in the caller's unit of work (not committed)."""
    report = build_report(uow, catalog=catalog, incident_id=incident_id, now=now)
    final = report.estimate_status == "final"
    report_id = uow.reports.add(
        incident_id,
        at=now,
        final=final,
        markdown=render(report, ReportFormat.MD),
        html=render(report, ReportFormat.HTML),
        body=report_json(report),
    )
    path = report_path(incident_id)
    uow.incidents.add_event(
        incident_id,
        at=now,
        kind=EventKind.REPORT_WRITTEN,
        source=SOURCE,
        summary=f"Post-incident report #{report_id} written"
        + ("" if final else " (without a final estimate)"),
        data={"report_id": report_id, "final": final, "path": path},
    )
    return StoredReport(report_id, final, path)


def due_reports(store: Store, *, now: datetime, window: int = WINDOW) -> list[int]:
    """Resolved incidents whose report is missing or older than their final estimate."""
    with store.unit_of_work() as uow:
        resolved = dict(uow.reports.awaiting_report(now - LOOKBACK, limit=window))
        waiting = set(resolved)
        # a playbook's report step still to run writes these itself
        waiting -= uow.outbox.with_open_action(waiting, action=IntentAction.REPORT)
        if not waiting:
            return []
        estimates = uow.reports.latest_of_kind(waiting, kind=EventKind.ESTIMATE_UPDATED)
        written = uow.reports.latest_of_kind(waiting, kind=EventKind.REPORT_WRITTEN)
    due: list[int] = []
    for incident_id in sorted(waiting, key=lambda i: resolved[i]):
        estimate = estimates.get(incident_id)
        last = written.get(incident_id)
        if estimate is not None and estimate.data.get("final"):
            if last is None or last.at < estimate.at or not last.data.get("final"):
                due.append(incident_id)
        elif last is None and now - resolved[incident_id] >= GRACE:
            due.append(incident_id)
    return due[:MAX_PER_PASS]


def write_due_reports(store: Store, *, catalog: Catalog, now: datetime) -> int:
    """Write every due report; returns how many were written (a failing one is logged)."""
    written = 0
    for incident_id in due_reports(store, now=now):
        try:
            write_report(store, catalog=catalog, incident_id=incident_id, now=now)
            written += 1
        except Exception:  # one bad incident must not stop the others' reports
            log.exception("writing the report of incident %s failed", incident_id)
    return written
