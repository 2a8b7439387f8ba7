"""Incidents and their append-only timelines."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitor.domain import (
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    Severity,
    TouchpointState,
)
from monitor.errors import NotFoundError
from monitor.store.models import AlertRow, IncidentEventRow, IncidentRow
from monitor.store.repositories.convert import event_from_row, incident_from_row

# Fields a caller may change through ``update``; ids, opening time and the
# declared flag are fixed at creation.
_MUTABLE = frozenset(
    {
        "title",
        "state",
        "severity",
        "severity_overridden",
        "updated_at",
        "last_activity_at",
        "resolved_at",
        "quiet_since",
        "state_before_quiet",
        "acknowledged_by",
        "acknowledged_at",
        "touchpoints",
        "peak_touchpoints",
        "components",
        "explanation",
        "root_cause_hint",
        "merged_into_id",
        "flapping",
        "group_keys",
    }
)


@dataclass(frozen=True)
class ActiveIncident:
    """What grouping needs to know of an incident that alerts may still join."""

    id: int
    opened_at: datetime
    last_activity_at: datetime
    state: IncidentState
    quiet_since: datetime | None
    state_before_quiet: IncidentState | None
    declared: bool
    touchpoints: frozenset[str]
    components: frozenset[str]
    severity_overridden: bool
    flapping: bool
    group_keys: frozenset[str]


class IncidentRepository:
    """Reads and writes ``incidents`` and ``incident_events``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def open(
        self,
        *,
        title: str,
        at: datetime,
        severity: Severity,
        declared: bool = False,
        touchpoints: Mapping[str, TouchpointState] | None = None,
        components: Collection[str] = (),
    ) -> int:
        """Create an incident in ``investigating``; returns its id."""
        row = IncidentRow(
            title=title[:500],
            state=IncidentState.INVESTIGATING.value,
            severity=severity.value,
            severity_overridden=False,
            declared=declared,
            opened_at=at,
            updated_at=at,
            last_activity_at=at,
            touchpoints={k: v.value for k, v in (touchpoints or {}).items()},
            peak_touchpoints={k: v.value for k, v in (touchpoints or {}).items()},
            components=sorted(components),
            explanation=[],
            group_keys=[],
            flapping=False,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def get(self, incident_id: int, *, counts: tuple[int, int] | None = None) -> Incident:
        """The incident with this id; NotFoundError when there is none.

        ``counts``, its (firing, total) occurrences when the caller already
        knows them, spare the query that counts them.
        """
        row = self._session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        if counts is not None:
            return incident_from_row(row, firing=counts[0], total=counts[1])
        return incident_from_row(row, **self._counts(incident_id))

    def update(self, incident_id: int, changes: Mapping[str, Any]) -> None:
        """Change some fields of an incident (enum values are stored as their strings)."""
        unknown = set(changes) - _MUTABLE
        if unknown:
            raise ValueError(f"cannot change incident fields {sorted(unknown)}")
        row = self._session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        for name, value in changes.items():
            setattr(row, name, _plain(value))

    def active(self) -> list[ActiveIncident]:
        """Incidents that new alerts may join: not resolved, not merged away."""
        stmt = (
            select(IncidentRow)
            .where(IncidentRow.state != IncidentState.RESOLVED.value)
            .order_by(IncidentRow.opened_at, IncidentRow.id)
        )
        return [_active(r) for r in self._session.scalars(stmt)]

    def active_one(self, incident_id: int) -> ActiveIncident | None:
        """One incident as grouping sees it, None when it is resolved or unknown."""
        row = self._session.get(IncidentRow, incident_id)
        if row is None or row.state == IncidentState.RESOLVED.value:
            return None
        return _active(row)

    def quiet_until(self, *, before: datetime) -> list[int]:
        """Alert-driven incidents whose alerts have all been quiet since before ``before``."""
        stmt = (
            select(IncidentRow.id)
            .where(
                IncidentRow.state != IncidentState.RESOLVED.value,
                IncidentRow.quiet_since.is_not(None),
                IncidentRow.quiet_since <= before,
                IncidentRow.declared.is_(False),
            )
            .order_by(IncidentRow.id)
        )
        return [int(i) for i in self._session.scalars(stmt)]

    def recent(
        self,
        *,
        states: Collection[IncidentState] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Incident]:
        """Incidents, newest first, optionally only in some states."""
        stmt = select(IncidentRow).order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc())
        if states:
            stmt = stmt.where(IncidentRow.state.in_([s.value for s in states]))
        rows = list(self._session.scalars(stmt.limit(limit).offset(offset)))
        return [incident_from_row(r, **self._counts(r.id)) for r in rows]

    def add_event(
        self,
        incident_id: int,
        *,
        at: datetime,
        kind: EventKind,
        source: str,
        summary: str,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry to an incident's timeline; returns its id."""
        row = self._append(incident_id, at, kind, source, summary, data)
        self._session.flush()
        return row.id

    def append_event(
        self,
        incident_id: int,
        *,
        at: datetime,
        kind: EventKind,
        source: str,
        summary: str,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Like ``add_event`` when the id is not needed: written with the next flush.

        A storm appends one event per alert; flushing each alone cost more than
        the alert's other statements together.
        """
        self._append(incident_id, at, kind, source, summary, data)

    def _append(
        self,
        incident_id: int,
        at: datetime,
        kind: EventKind,
        source: str,
        summary: str,
        data: Mapping[str, Any] | None,
    ) -> IncidentEventRow:
        row = IncidentEventRow(
            incident_id=incident_id,
            at=at,
            kind=kind.value,
            source=source[:255],
            summary=summary,
            data=dict(data or {}),
        )
        self._session.add(row)
        return row

    def timeline(self, incident_id: int, *, with_merged: bool = False) -> list[IncidentEvent]:
        """An incident's timeline in the order things happened.

        ``with_merged`` adds the timelines of the incidents merged into it (at
        any depth), as people read it: the merged incident's first alert is
        when this failure was detected. Each event keeps its own incident id.
        """
        ids = [incident_id, *self.absorbed(incident_id)] if with_merged else [incident_id]
        stmt = (
            select(IncidentEventRow)
            .where(IncidentEventRow.incident_id.in_(ids))
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return [event_from_row(r) for r in self._session.scalars(stmt)]

    def absorbed(self, incident_id: int) -> list[int]:
        """Ids of the incidents merged into this one, directly or through another merge."""
        found: list[int] = []
        frontier = [incident_id]
        while frontier:
            stmt = select(IncidentRow.id).where(IncidentRow.merged_into_id.in_(frontier))
            frontier = [i for i in self._session.scalars(stmt) if i not in found]
            found.extend(frontier)
        return found

    def page(
        self,
        *,
        states: Collection[IncidentState] = (),
        opened_from: datetime | None = None,
        opened_to: datetime | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int = 100,
    ) -> list[Incident]:
        """Incidents newest first, strictly after the cursor ``(opened_at, id)`` when given."""
        stmt = select(IncidentRow)
        if states:
            stmt = stmt.where(IncidentRow.state.in_([s.value for s in states]))
        if opened_from is not None:
            stmt = stmt.where(IncidentRow.opened_at >= opened_from)
        if opened_to is not None:
            stmt = stmt.where(IncidentRow.opened_at < opened_to)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    IncidentRow.opened_at < at,
                    and_(IncidentRow.opened_at == at, IncidentRow.id < last_id),
                )
            )
        stmt = stmt.order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc()).limit(limit)
        return [incident_from_row(r, **self._counts(r.id)) for r in self._session.scalars(stmt)]

    def events_of_kind(
        self, incident_ids: Collection[int], *, kind: EventKind
    ) -> dict[int, list[IncidentEvent]]:
        """Every event of ``kind`` of these incidents, oldest first, by incident."""
        found: dict[int, list[IncidentEvent]] = {}
        if not incident_ids:
            return found
        stmt = (
            select(IncidentEventRow)
            .where(
                IncidentEventRow.incident_id.in_(list(incident_ids)),
                IncidentEventRow.kind == kind.value,
            )
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        for row in self._session.scalars(stmt):
            found.setdefault(row.incident_id, []).append(event_from_row(row))
        return found

    def latest_events(
        self, incident_ids: Collection[int], *, kind: EventKind
    ) -> dict[int, IncidentEvent]:
        """The newest event of ``kind`` of each incident that has one."""
        if not incident_ids:
            return {}
        stmt = (
            select(IncidentEventRow)
            .where(
                IncidentEventRow.incident_id.in_(list(incident_ids)),
                IncidentEventRow.kind == kind.value,
            )
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return {r.incident_id: event_from_row(r) for r in self._session.scalars(stmt)}

    def touch(self, incident_id: int, *, at: datetime) -> None:
        """Record activity at ``at`` (never moving the activity time backwards)."""
        row = self._session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        row.updated_at = max(row.updated_at, at)
        row.last_activity_at = max(row.last_activity_at, at)

    def _counts(self, incident_id: int) -> dict[str, int]:
        stmt = (
            select(AlertRow.status, func.count())
            .where(AlertRow.incident_id == incident_id)
            .group_by(AlertRow.status)
        )
        by_status = {str(s): int(n) for s, n in self._session.execute(stmt)}
        return {"firing": by_status.get("firing", 0), "total": sum(by_status.values())}


def _active(row: IncidentRow) -> ActiveIncident:
    return ActiveIncident(
        id=row.id,
        opened_at=row.opened_at,
        last_activity_at=row.last_activity_at,
        state=IncidentState(row.state),
        quiet_since=row.quiet_since,
        state_before_quiet=IncidentState(row.state_before_quiet)
        if row.state_before_quiet
        else None,
        declared=row.declared,
        touchpoints=frozenset(row.touchpoints),
        components=frozenset(row.components),
        severity_overridden=row.severity_overridden,
        flapping=row.flapping,
        group_keys=frozenset(row.group_keys),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, IncidentState | Severity | TouchpointState):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    return value
