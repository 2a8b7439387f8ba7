"""Customer signals, their spike episodes and the watcher's clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from monitor.domain import ScoreKind, Signal
from monitor.errors import NotFoundError
from monitor.store.models import SignalRow, SignalSpikeRow, SignalWatchRow


@dataclass(frozen=True)
class SpikeRecord:
    """A stored spike episode of one touchpoint."""

    id: int
    touchpoint: str
    detected_at: datetime
    last_alarm_at: datetime
    ended_at: datetime | None
    incident_id: int | None
    opened_incident: bool
    evidence: Mapping[str, Any]
    peak: Mapping[str, Any]


@dataclass(frozen=True)
class SignalCount:
    """How many signals of one touchpoint and source an incident holds."""

    touchpoint: str | None
    source: str
    signals: int
    customers: int


_SPIKE_FIELDS = frozenset({"last_alarm_at", "ended_at", "incident_id", "peak"})


def _negative() -> ColumnElement[bool]:
    """Complaints: the signals that count towards spikes and join incidents by their time.

    A survey is answered hours after the interaction it asks about, at a rate
    the survey programme sets (how many invitations went out): a low score
    would find an outage once it is over, make a quiet day's rate depend on the
    mailing, and tie a customer unhappy about last week to today's incident.
    Scores are tied to an incident through their customer instead (the
    watcher's follow-up).
    """
    return SignalRow.score.is_(None)


class SignalRepository:
    """Reads and writes ``signals``, ``signal_spikes`` and ``signal_watch``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        received_at: datetime,
        occurred_at: datetime,
        source: str,
        channel: str,
        text: str | None,
        score: int | None,
        score_kind: ScoreKind | None,
        touchpoint: str | None,
        attributed_by: str | None,
        customer_ref: str | None,
        sender_key: str,
    ) -> int:
        """Store one signal (``customer_ref`` is already the pseudonym); returns its id."""
        row = SignalRow(
            received_at=received_at,
            occurred_at=occurred_at,
            source=source,
            channel=channel,
            text=text,
            score=score,
            score_kind=score_kind.value if score_kind else None,
            touchpoint=touchpoint,
            attributed_by=attributed_by[:255] if attributed_by else None,
            customer_ref_digest=customer_ref,
            sender_key=sender_key,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def get(self, signal_id: int) -> Signal:
        """The signal with this id; NotFoundError when there is none."""
        row = self._session.get(SignalRow, signal_id)
        if row is None:
            raise NotFoundError(f"signal {signal_id} does not exist")
        return _signal(row)

    def unexamined(self, *, limit: int) -> list[Signal]:
        """Signals the watcher has not looked at yet, oldest first."""
        stmt = (
            select(SignalRow)
            .where(SignalRow.examined_at.is_(None))
            .order_by(SignalRow.id)
            .limit(limit)
        )
        return [_signal(r) for r in self._session.scalars(stmt)]

    def mark_examined(self, signal_ids: Collection[int], *, at: datetime) -> None:
        """Record that the watcher has looked at these signals."""
        if signal_ids:
            self._session.execute(
                update(SignalRow).where(SignalRow.id.in_(list(signal_ids))).values(examined_at=at)
            )

    def unattached(self, *, since: datetime, until: datetime) -> list[Signal]:
        """Complaints with a touchpoint and no incident that occurred in ``[since, until)``.

        Survey answers are left out: they join an incident through their customer.
        """
        stmt = (
            select(SignalRow)
            .where(
                SignalRow.incident_id.is_(None),
                SignalRow.touchpoint.is_not(None),
                _negative(),
                SignalRow.occurred_at >= since,
                SignalRow.occurred_at < until,
            )
            .order_by(SignalRow.occurred_at, SignalRow.id)
        )
        return [_signal(r) for r in self._session.scalars(stmt)]

    def attach(self, signal_ids: Collection[int], incident_id: int) -> None:
        """Attach signals to an incident."""
        if signal_ids:
            self._session.execute(
                update(SignalRow)
                .where(SignalRow.id.in_(list(signal_ids)))
                .values(incident_id=incident_id)
            )

    def sender_keys(
        self, touchpoint: str, *, start: datetime, end: datetime, unattached_only: bool
    ) -> list[str]:
        """Sender keys of the complaints (signals without a score) of a touchpoint in a span."""
        stmt = select(SignalRow.sender_key).where(
            SignalRow.touchpoint == touchpoint,
            SignalRow.occurred_at >= start,
            SignalRow.occurred_at < end,
            _negative(),
        )
        if unattached_only:
            stmt = stmt.where(SignalRow.incident_id.is_(None))
        return [str(k) for k in self._session.scalars(stmt)]

    def busy_touchpoints(self, *, start: datetime, end: datetime, at_least: int) -> list[str]:
        """Touchpoints with at least ``at_least`` complaining senders in ``[start, end)``."""
        stmt = (
            select(SignalRow.touchpoint)
            .where(
                SignalRow.touchpoint.is_not(None),
                SignalRow.occurred_at >= start,
                SignalRow.occurred_at < end,
                _negative(),
            )
            .group_by(SignalRow.touchpoint)
            .having(func.count(func.distinct(SignalRow.sender_key)) >= at_least)
        )
        return sorted(str(t) for t in self._session.scalars(stmt))

    def earliest(self) -> datetime | None:
        """When the oldest stored signal occurred (how far back a baseline can look)."""
        found: datetime | None = self._session.scalar(select(func.min(SignalRow.occurred_at)))
        return found

    def of_incident(self, incident_id: int, *, limit: int | None = None) -> list[Signal]:
        """Signals attached to an incident, oldest first."""
        stmt = (
            select(SignalRow)
            .where(SignalRow.incident_id == incident_id)
            .order_by(SignalRow.occurred_at, SignalRow.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_signal(r) for r in self._session.scalars(stmt)]

    def counts(self, incident_id: int) -> list[SignalCount]:
        """Signals and different customers of an incident, by touchpoint and source."""
        stmt = (
            select(
                SignalRow.touchpoint,
                SignalRow.source,
                func.count(),
                func.count(func.distinct(SignalRow.sender_key)),
            )
            .where(SignalRow.incident_id == incident_id)
            .group_by(SignalRow.touchpoint, SignalRow.source)
            .order_by(SignalRow.touchpoint, SignalRow.source)
        )
        return [
            SignalCount(t, str(s), int(n), int(c)) for t, s, n, c in self._session.execute(stmt)
        ]

    def complaints_by_touchpoint(self, incident_id: int) -> dict[str | None, tuple[int, int]]:
        """``touchpoint: (signals, different senders)`` of an incident's signals without a score."""
        stmt = (
            select(
                SignalRow.touchpoint,
                func.count(),
                func.count(func.distinct(SignalRow.sender_key)),
            )
            .where(SignalRow.incident_id == incident_id, SignalRow.score.is_(None))
            .group_by(SignalRow.touchpoint)
        )
        return {t: (int(n), int(c)) for t, n, c in self._session.execute(stmt)}

    def count_of_incident(self, incident_id: int) -> int:
        """How many signals are attached to an incident."""
        stmt = select(func.count()).where(SignalRow.incident_id == incident_id)
        return int(self._session.scalar(stmt) or 0)

    def customers_of_incident(self, incident_id: int) -> int:
        """Different senders among the signals attached to an incident."""
        stmt = select(func.count(func.distinct(SignalRow.sender_key))).where(
            SignalRow.incident_id == incident_id
        )
        return int(self._session.scalar(stmt) or 0)

    def incidents_of_customer(self, customer_ref: str, *, since: datetime) -> list[int]:
        """Incidents this customer's signals (since ``since``) are attached to, newest first."""
        stmt = (
            select(SignalRow.incident_id, func.max(SignalRow.occurred_at))
            .where(
                SignalRow.customer_ref_digest == customer_ref,
                SignalRow.incident_id.is_not(None),
                SignalRow.occurred_at >= since,
            )
            .group_by(SignalRow.incident_id)
            .order_by(func.max(SignalRow.occurred_at).desc())
        )
        return [int(i) for i, _at in self._session.execute(stmt) if i is not None]

    def purge_text(self, *, received_before: datetime) -> int:
        """Remove the text of signals received before the cutoff; returns how many."""
        result = self._session.execute(
            update(SignalRow)
            .where(SignalRow.received_at < received_before, SignalRow.text.is_not(None))
            .values(text=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def open_spikes(self) -> dict[str, SpikeRecord]:
        """Spike episodes that have not ended, by touchpoint."""
        stmt = select(SignalSpikeRow).where(SignalSpikeRow.ended_at.is_(None))
        return {r.touchpoint: _spike(r) for r in self._session.scalars(stmt)}

    def spikes_of_incident(self, incident_id: int) -> list[SpikeRecord]:
        """Spike episodes tied to an incident, oldest first."""
        stmt = (
            select(SignalSpikeRow)
            .where(SignalSpikeRow.incident_id == incident_id)
            .order_by(SignalSpikeRow.detected_at, SignalSpikeRow.id)
        )
        return [_spike(r) for r in self._session.scalars(stmt)]

    def spikes_since(self, since: datetime) -> list[SpikeRecord]:
        """Spike episodes detected since ``since``, oldest first."""
        stmt = (
            select(SignalSpikeRow)
            .where(SignalSpikeRow.detected_at >= since)
            .order_by(SignalSpikeRow.detected_at, SignalSpikeRow.id)
        )
        return [_spike(r) for r in self._session.scalars(stmt)]

    def add_spike(
        self,
        *,
        touchpoint: str,
        at: datetime,
        incident_id: int | None,
        opened_incident: bool,
        evidence: Mapping[str, Any],
    ) -> int:
        """Start a spike episode; returns its id."""
        row = SignalSpikeRow(
            touchpoint=touchpoint,
            detected_at=at,
            last_alarm_at=at,
            incident_id=incident_id,
            opened_incident=opened_incident,
            evidence=dict(evidence),
            peak=dict(evidence),
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def update_spike(self, spike_id: int, changes: Mapping[str, Any]) -> None:
        """Change the mutable fields of a spike episode."""
        unknown = set(changes) - _SPIKE_FIELDS
        if unknown:
            raise ValueError(f"cannot change spike fields {sorted(unknown)}")
        row = self._session.get(SignalSpikeRow, spike_id)
        if row is None:
            raise NotFoundError(f"spike {spike_id} does not exist")
        for name, value in changes.items():
            setattr(row, name, dict(value) if isinstance(value, Mapping) else value)

    def watched(self, name: str) -> datetime | None:
        """When the watcher last did the job called ``name``."""
        row = self._session.get(SignalWatchRow, name)
        return row.at if row is not None else None

    def set_watched(self, name: str, *, at: datetime) -> None:
        """Record that the watcher did the job called ``name`` at ``at``."""
        row = self._session.get(SignalWatchRow, name)
        if row is None:
            self._session.add(SignalWatchRow(name=name, at=at))
        else:
            row.at = at


def _signal(row: SignalRow) -> Signal:
    return Signal(
        id=row.id,
        received_at=row.received_at,
        occurred_at=row.occurred_at,
        source=row.source,
        channel=row.channel,
        text=row.text,
        score=row.score,
        score_kind=ScoreKind(row.score_kind) if row.score_kind else None,
        touchpoint=row.touchpoint,
        attributed_by=row.attributed_by,
        customer_ref=row.customer_ref_digest,
        incident_id=row.incident_id,
    )


def _spike(row: SignalSpikeRow) -> SpikeRecord:
    return SpikeRecord(
        id=row.id,
        touchpoint=row.touchpoint,
        detected_at=row.detected_at,
        last_alarm_at=row.last_alarm_at,
        ended_at=row.ended_at,
        incident_id=row.incident_id,
        opened_incident=row.opened_incident,
        evidence=dict(row.evidence),
        peak=dict(row.peak),
    )
