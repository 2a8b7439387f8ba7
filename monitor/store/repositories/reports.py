"""Stored post-incident reports, and the few aggregate reads a report needs.

A long incident holds tens of thousands of alert events; the report reads
them as counts and per-alert-name groups computed by the database, and
reads the rest of the timeline as usual, so its cost does not grow with
every alert's labels.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from monitor.domain import EventKind, IncidentEvent, IncidentState
from monitor.store.models import AlertRow, IncidentEventRow, IncidentReportRow, IncidentRow
from monitor.store.repositories.convert import event_from_row


@dataclass(frozen=True)
class StoredReport:
    """A report as written at ``created_at``."""

    id: int
    incident_id: int
    created_at: datetime
    final: bool
    markdown: str
    html: str
    body: dict[str, Any]


@dataclass(frozen=True)
class AlertGroup:
    """The occurrences of one alert name in an incident."""

    name: str
    occurrences: int
    firing: int
    first_start: datetime
    last_start: datetime
    last_end: datetime | None
    first_received: datetime
    components: tuple[str, ...]


class ReportRepository:
    """Reads and writes ``incident_reports``; aggregate reads over alerts and events."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        incident_id: int,
        *,
        at: datetime,
        final: bool,
        markdown: str,
        html: str,
        body: dict[str, Any],
    ) -> int:
        """Store one written report; returns its id."""
        row = IncidentReportRow(
            incident_id=incident_id,
            created_at=at,
            final=final,
            markdown=markdown,
            html=html,
            body=body,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def get(self, report_id: int) -> StoredReport | None:
        """The stored report with this id, None when there is none."""
        row = self._session.get(IncidentReportRow, report_id)
        return _stored(row) if row is not None else None

    def of_incident(self, incident_id: int) -> list[StoredReport]:
        """An incident's stored reports, oldest first."""
        stmt = (
            select(IncidentReportRow)
            .where(IncidentReportRow.incident_id == incident_id)
            .order_by(IncidentReportRow.created_at, IncidentReportRow.id)
        )
        return [_stored(r) for r in self._session.scalars(stmt)]

    def awaiting_report(self, since: datetime, *, limit: int) -> list[tuple[int, datetime]]:
        """(id, resolved_at) of unmerged incidents resolved since ``since`` a report may be due for.

        That is, oldest first: no final report yet, and either no report at all
        or an estimate written after the last one. An incident already reported
        without a final estimate (it hurt no touchpoint) is left out here, in
        SQL: kept in, a week of such incidents would fill ``limit`` and hide the
        newer ones, whose reports would then never be written.
        """
        final_report = (
            select(IncidentReportRow.id)
            .where(IncidentReportRow.incident_id == IncidentRow.id, IncidentReportRow.final)
            .exists()
        )
        newest_report = _newest_event(EventKind.REPORT_WRITTEN)
        newest_estimate = _newest_event(EventKind.ESTIMATE_UPDATED)
        stmt = (
            select(IncidentRow.id, IncidentRow.resolved_at)
            .where(
                IncidentRow.state == IncidentState.RESOLVED.value,
                IncidentRow.merged_into_id.is_(None),
                IncidentRow.resolved_at >= since,
                ~final_report,
                newest_report.is_(None) | (newest_estimate > newest_report),
            )
            .order_by(IncidentRow.resolved_at, IncidentRow.id)
            .limit(limit)
        )
        return [(int(i), at) for i, at in self._session.execute(stmt) if at is not None]

    def latest_of_kind(
        self, incident_ids: Collection[int], *, kind: EventKind
    ) -> dict[int, IncidentEvent]:
        """The last-written event of ``kind`` of each of these incidents that has one."""
        if not incident_ids:
            return {}
        newest = (
            select(func.max(IncidentEventRow.id))
            .where(
                IncidentEventRow.incident_id.in_(list(incident_ids)),
                IncidentEventRow.kind == kind.value,
            )
            .group_by(IncidentEventRow.incident_id)
        )
        stmt = select(IncidentEventRow).where(IncidentEventRow.id.in_(newest.scalar_subquery()))
        return {r.incident_id: event_from_row(r) for r in self._session.scalars(stmt)}

    def events(self, incident_id: int, *, without: Collection[EventKind]) -> list[IncidentEvent]:
        """An incident's timeline in order, leaving out the kinds in ``without``."""
        stmt = (
            select(IncidentEventRow)
            .where(
                IncidentEventRow.incident_id == incident_id,
                IncidentEventRow.kind.not_in([k.value for k in without]),
            )
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return [event_from_row(r) for r in self._session.scalars(stmt)]

    def event_counts(self, incident_id: int) -> dict[EventKind, tuple[int, datetime]]:
        """Per kind of event: how many the timeline holds and when the first happened."""
        stmt = (
            select(IncidentEventRow.kind, func.count(), func.min(IncidentEventRow.at))
            .where(IncidentEventRow.incident_id == incident_id)
            .group_by(IncidentEventRow.kind)
        )
        found: dict[EventKind, tuple[int, datetime]] = {}
        for kind, count, first in self._session.execute(stmt):
            if kind in EventKind._value2member_map_:
                found[EventKind(kind)] = (int(count), first)
        return found

    def alert_groups(self, incident_id: int) -> list[AlertGroup]:
        """The incident's alerts grouped by name, most frequent first."""
        stmt = select(
            AlertRow.name,
            AlertRow.status,
            AlertRow.starts_at,
            AlertRow.ends_at,
            AlertRow.first_received_at,
            AlertRow.components,
        ).where(AlertRow.incident_id == incident_id)
        groups: dict[str, dict[str, Any]] = {}
        for name, status, start, end, received, components in self._session.execute(stmt):
            g = groups.setdefault(
                name,
                {
                    "n": 0,
                    "firing": 0,
                    "first": start,
                    "last": start,
                    "end": None,
                    "received": received,
                    "components": set(),
                },
            )
            g["n"] += 1
            g["firing"] += status == "firing"
            g["first"] = min(g["first"], start)
            g["last"] = max(g["last"], start)
            g["received"] = min(g["received"], received)
            if end is not None:
                g["end"] = end if g["end"] is None else max(g["end"], end)
            g["components"].update(components or ())
        result = [
            AlertGroup(
                name=name,
                occurrences=g["n"],
                firing=g["firing"],
                first_start=g["first"],
                last_start=g["last"],
                last_end=g["end"],
                first_received=g["received"],
                components=tuple(sorted(g["components"])),
            )
            for name, g in groups.items()
        ]
        return sorted(result, key=lambda a: (-a.occurrences, a.name))


def _stored(row: IncidentReportRow) -> StoredReport:
    return StoredReport(
        id=row.id,
        incident_id=row.incident_id,
        created_at=row.created_at,
        final=row.final,
        markdown=row.markdown,
        html=row.html,
        body=dict(row.body),
    )


def _newest_event(kind: EventKind) -> ScalarSelect[Any]:
    """The id of the incident's newest event of ``kind`` (index incident_id, kind, id)."""
    return (
        select(func.max(IncidentEventRow.id))
        .where(IncidentEventRow.incident_id == IncidentRow.id, IncidentEventRow.kind == kind.value)
        .scalar_subquery()
    )
