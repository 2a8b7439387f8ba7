"""Alert occurrences: deduplicated by fingerprint and start time.

Alertmanager delivers at least once, from several replicas, and a resolved
notification can overtake its firing one. The rule that makes every order give
the same result: for one occurrence (fingerprint, startsAt), ``resolved`` is
final. A firing delivery after it changes nothing, so a late firing never
leaves a ghost incident.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.orm import Session

from monitor.domain import Alert, AlertStatus
from monitor.store.models import AlertRow
from monitor.store.repositories.convert import alert_from_row


class Outcome(StrEnum):
    """What recording one delivery did to the stored occurrence."""

    FIRED = "fired"
    """A new occurrence, firing."""
    RESOLVED = "resolved"
    """A firing occurrence is now resolved."""
    RESOLVED_UNSEEN = "resolved_unseen"
    """A resolved delivery for an occurrence never seen firing: recorded, nothing to close."""
    DUPLICATE = "duplicate"
    """Nothing changed (a repeat, or a firing after the resolution)."""


@dataclass(frozen=True)
class Recorded:
    """The stored occurrence after a delivery, and what the delivery changed."""

    id: int
    """The occurrence's id; negative for one added in this unit of work and not yet
    written, which only this unit of work's repository resolves (see ``record``)."""
    outcome: Outcome
    alert: Alert
    incident_id: int | None
    recent_starts: int = 1
    """Occurrences of the series (this one included) that started since ``record``'s ``since``."""


@dataclass(frozen=True)
class StoredAlert:
    """An occurrence with what correlation said of it."""

    id: int
    alert: Alert
    incident_id: int | None
    components: tuple[str, ...]
    touchpoints: tuple[str, ...]
    unmapped: bool
    suppressed: bool
    deliveries: int
    last_received_at: datetime


_IN_CHUNK = 500
"""Fingerprints per ``IN`` list: well under every database's limit on bound parameters."""


class AlertRepository:
    """Reads and writes the ``alerts`` table."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, tuple[datetime, list[AlertRow]]] = {}
        """Per fingerprint: since when its occurrences are all loaded, and those occurrences."""
        self._added: dict[int, AlertRow] = {}

    def prefetch(self, alerts: Sequence[Alert], *, since: datetime) -> None:
        """Load the occurrences of these alerts' series started since ``since``, in few queries.

        ``record`` then finds them in memory: a query of its own per alert
        also flushed everything the previous alert changed, one statement
        at a time, which was most of what a storm cost the worker.
        """
        wanted = sorted(
            f
            for f in {a.fingerprint for a in alerts}
            if f not in self._known or self._known[f][0] > since
        )
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found: dict[str, list[AlertRow]] = {f: [] for f in chunk}
            stmt = select(AlertRow).where(
                AlertRow.fingerprint.in_(chunk), AlertRow.starts_at >= since
            )
            for row in self._session.scalars(stmt):
                found[row.fingerprint].append(row)
            self._known.update((f, (since, rows)) for f, rows in found.items())

    def record(
        self, alert: Alert, *, received_at: datetime, since: datetime | None = None
    ) -> Recorded:
        """Merge one delivery into its occurrence (see the module docstring for the rule).

        With ``since``, the same query also counts the series' occurrences that
        started since then (flap detection), rather than a second query per alert.
        """
        earliest = alert.starts_at if since is None else min(since, alert.starts_at)
        recent = self._recent(alert.fingerprint, since=earliest)
        row = next((r for r in recent if r.starts_at == alert.starts_at), None)
        starts = len(recent) + (row is None)
        if row is None:
            row = AlertRow(
                fingerprint=alert.fingerprint,
                starts_at=alert.starts_at,
                source=alert.source,
                name=alert.name[:255],
                status=alert.status.value,
                labels=dict(alert.labels),
                annotations=dict(alert.annotations),
                ends_at=alert.ends_at,
                generator_url=alert.generator_url,
                first_received_at=received_at,
                last_received_at=received_at,
                deliveries=1,
                components=[],
                touchpoints=[],
                unmapped=False,
                suppressed=False,
            )
            # Not flushed here: the batch's new occurrences, their correlation and
            # incident go to the database together at the next flush, in a few
            # multi-row statements, instead of an INSERT and an UPDATE per alert.
            self._session.add(row)
            key = -(len(self._added) + 1)
            self._added[key] = row
            if alert.fingerprint in self._known:
                self._known[alert.fingerprint][1].append(row)
            fired = alert.status is AlertStatus.FIRING
            outcome = Outcome.FIRED if fired else Outcome.RESOLVED_UNSEEN
            return Recorded(key, outcome, alert_from_row(row), None, starts)
        row.deliveries += 1
        row.last_received_at = max(row.last_received_at, received_at)
        if row.status == AlertStatus.FIRING.value and alert.status is AlertStatus.RESOLVED:
            row.status = AlertStatus.RESOLVED.value
            row.ends_at = alert.ends_at or received_at
            row.annotations = dict(alert.annotations) or row.annotations
            return Recorded(row.id, Outcome.RESOLVED, alert_from_row(row), row.incident_id)
        if row.status == AlertStatus.FIRING.value and alert.annotations != row.annotations:
            row.annotations = dict(alert.annotations)
        return Recorded(row.id, Outcome.DUPLICATE, alert_from_row(row), row.incident_id)

    def _recent(self, fingerprint: str, *, since: datetime) -> list[AlertRow]:
        known = self._known.get(fingerprint)
        if known is not None and since >= known[0]:
            return [r for r in known[1] if r.starts_at >= since]
        stmt = select(AlertRow).where(
            AlertRow.fingerprint == fingerprint, AlertRow.starts_at >= since
        )
        return list(self._session.scalars(stmt))

    def set_correlation(
        self,
        alert_id: int,
        *,
        components: Collection[str],
        touchpoints: Collection[str],
        unmapped: bool,
        suppressed: bool,
    ) -> None:
        """Remember what the alert was tied to, for the API and the reports."""
        row = self._row(alert_id)
        row.components = sorted(components)
        row.touchpoints = sorted(touchpoints)
        row.unmapped = unmapped
        row.suppressed = suppressed

    def assign(self, alert_id: int, incident_id: int | None) -> None:
        """Attach an occurrence to an incident."""
        self._row(alert_id).incident_id = incident_id

    def _row(self, alert_id: int) -> AlertRow:
        added = self._added.get(alert_id)
        return added if added is not None else self._session.get_one(AlertRow, alert_id)

    def move(self, *, from_incident: int, to_incident: int) -> int:
        """Move every occurrence of one incident to another (merging); returns how many."""
        rows = self._session.scalars(select(AlertRow).where(AlertRow.incident_id == from_incident))
        moved = 0
        for row in rows:
            row.incident_id = to_incident
            moved += 1
        return moved

    def firing(self) -> list[Alert]:
        """Every occurrence still firing, oldest first (to rebuild correlation state)."""
        stmt = (
            select(AlertRow)
            .where(AlertRow.status == AlertStatus.FIRING.value)
            .order_by(AlertRow.starts_at, AlertRow.id)
        )
        return [alert_from_row(r) for r in self._session.scalars(stmt)]

    def firing_from(self, source: str) -> dict[str, Alert]:
        """Firing occurrences from one source, by fingerprint (the poller's memory)."""
        stmt = select(AlertRow).where(
            AlertRow.status == AlertStatus.FIRING.value, AlertRow.source == source
        )
        return {r.fingerprint: alert_from_row(r) for r in self._session.scalars(stmt)}

    def of_incident(self, incident_id: int) -> list[StoredAlert]:
        """The occurrences grouped into an incident, oldest first."""
        stmt = (
            select(AlertRow)
            .where(AlertRow.incident_id == incident_id)
            .order_by(AlertRow.starts_at, AlertRow.id)
        )
        return [_stored(r) for r in self._session.scalars(stmt)]

    def firing_fingerprints(self, incident_id: int) -> list[str]:
        """Fingerprints of an incident's occurrences that still fire."""
        stmt = select(AlertRow.fingerprint).where(
            AlertRow.incident_id == incident_id, AlertRow.status == AlertStatus.FIRING.value
        )
        return list(self._session.scalars(stmt))

    def counts(self, incident_id: int) -> tuple[int, int]:
        """(firing, total) occurrences of an incident."""
        stmt = (
            select(AlertRow.status, func.count())
            .where(AlertRow.incident_id == incident_id)
            .group_by(AlertRow.status)
        )
        by_status = {str(s): int(n) for s, n in self._session.execute(stmt)}
        return by_status.get(AlertStatus.FIRING.value, 0), sum(by_status.values())

    def unmapped(self, *, firing_only: bool = True, limit: int = 500) -> list[StoredAlert]:
        """Alerts tied to no catalog component, newest first: shown, never dropped."""
        stmt = select(AlertRow).where(AlertRow.unmapped.is_(True))
        if firing_only:
            stmt = stmt.where(AlertRow.status == AlertStatus.FIRING.value)
        stmt = stmt.order_by(AlertRow.last_received_at.desc(), AlertRow.id.desc()).limit(limit)
        return [_stored(r) for r in self._session.scalars(stmt)]

    def unmapped_names(self, *, limit: int = 50) -> list[str]:
        """Names of firing alerts tied to no component (a line in Slack), sorted.

        Read at every planning, during a storm of thousands of firing alerts
        that share a few names: a DISTINCT would walk every one of them, so the
        names are found one index seek each (the smallest name after the last
        one found, on ``ix_alerts_unmapped_status_name``), ``limit`` at most.
        """
        firing = (AlertRow.unmapped.is_(True), AlertRow.status == AlertStatus.FIRING.value)
        names = (
            select(func.min(AlertRow.name).label("name"), literal(1, Integer).label("n"))
            .where(*firing)
            .cte("unmapped_names", recursive=True)
        )
        after = select(func.min(AlertRow.name)).where(*firing, AlertRow.name > names.c.name)
        names = names.union_all(
            select(after.scalar_subquery(), names.c.n + 1).where(
                names.c.name.is_not(None), names.c.n < limit
            )
        )
        stmt = select(names.c.name).where(names.c.name.is_not(None)).order_by(names.c.name)
        return list(self._session.scalars(stmt))

    def count_labelled(self, incident_id: int, *, name: str, value: str) -> int:
        """How many of an incident's occurrences carry ``name=value``.

        Counted by the database (JSON path on SQLite, ``->>`` on PostgreSQL): an
        incident of a storm holds thousands of alerts, read at every planning.
        """
        stmt = (
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.incident_id == incident_id, AlertRow.labels[name].as_string() == value)
        )
        return int(self._session.scalar(stmt) or 0)

    def occurrences_since(self, fingerprint: str, *, since: datetime) -> int:
        """How many occurrences of a series started since ``since`` (flap detection)."""
        stmt = (
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.fingerprint == fingerprint, AlertRow.starts_at >= since)
        )
        return int(self._session.scalar(stmt) or 0)

    def count(self) -> int:
        """How many distinct occurrences are stored."""
        return int(self._session.scalar(select(func.count()).select_from(AlertRow)) or 0)


def _stored(row: AlertRow) -> StoredAlert:
    return StoredAlert(
        id=row.id,
        alert=alert_from_row(row),
        incident_id=row.incident_id,
        components=tuple(row.components),
        touchpoints=tuple(row.touchpoints),
        unmapped=row.unmapped,
        suppressed=row.suppressed,
        deliveries=row.deliveries,
        last_received_at=row.last_received_at,
    )
