"""Touchpoint state history: when each touchpoint was not operational, and how."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.domain import TouchpointState
from monitor.store.models import TouchpointStateRow


@dataclass(frozen=True)
class StatePeriod:
    """A touchpoint in one non-operational state from ``since`` to ``until`` (None: ongoing)."""

    touchpoint: str
    state: TouchpointState
    since: datetime
    until: datetime | None


class TouchpointHistoryRepository:
    """Reads and writes ``touchpoint_states``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, touchpoint: str, *, state: TouchpointState, at: datetime) -> bool:
        """Record that ``touchpoint`` is in ``state`` from ``at``; False when nothing changed.

        A time earlier than the open period's start (a late delivery) is taken as
        that start, so periods never overlap or run backwards.
        """
        current = self._open(touchpoint)
        if current is not None and current.state == state.value:
            return False
        if current is None and state is TouchpointState.OPERATIONAL:
            return False
        if current is not None:
            current.until = max(at, current.since)
            at = current.until
        if state is not TouchpointState.OPERATIONAL:
            self._session.add(
                TouchpointStateRow(touchpoint=touchpoint, state=state.value, since=at)
            )
        self._session.flush()
        return True

    def current(self) -> dict[str, StatePeriod]:
        """The ongoing non-operational period of each touchpoint that has one."""
        stmt = select(TouchpointStateRow).where(TouchpointStateRow.until.is_(None))
        return {r.touchpoint: _period(r) for r in self._session.scalars(stmt)}

    def periods(self, *, since: datetime, touchpoint: str | None = None) -> list[StatePeriod]:
        """Periods that overlap [since, now), oldest first."""
        stmt = select(TouchpointStateRow).where(
            or_(TouchpointStateRow.until.is_(None), TouchpointStateRow.until > since)
        )
        if touchpoint is not None:
            stmt = stmt.where(TouchpointStateRow.touchpoint == touchpoint)
        stmt = stmt.order_by(TouchpointStateRow.since, TouchpointStateRow.id)
        return [_period(r) for r in self._session.scalars(stmt)]

    def latest_change(self) -> datetime | None:
        """When any touchpoint last changed state."""
        rows = self._session.scalars(
            select(TouchpointStateRow).order_by(TouchpointStateRow.id.desc()).limit(1)
        ).all()
        if not rows:
            return None
        row = rows[0]
        return max(row.since, row.until) if row.until else row.since

    def _open(self, touchpoint: str) -> TouchpointStateRow | None:
        stmt = select(TouchpointStateRow).where(
            TouchpointStateRow.touchpoint == touchpoint, TouchpointStateRow.until.is_(None)
        )
        return self._session.scalars(stmt).first()


def _period(row: TouchpointStateRow) -> StatePeriod:
    return StatePeriod(
        touchpoint=row.touchpoint,
        state=TouchpointState(row.state),
        since=row.since,
        until=row.until,
    )
