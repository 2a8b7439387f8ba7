"""The inbox: accepted deliveries waiting to be processed, and rejected ones kept for people."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, func, insert, select
from sqlalchemy.orm import Session

from monitor.domain import Alert
from monitor.store.inbox_codec import decode_alerts, encode_alerts
from monitor.store.models import InboxBatch, RejectedPayload


@dataclass(frozen=True)
class NewBatch:
    """A delivery to store: its raw body and the alerts parsed from it."""

    source: str
    payload: bytes
    alerts: Sequence[Alert]
    received_at: datetime
    meta: dict[str, Any] | None = None
    rejected_count: int = 0
    alerts_in_payload: int | None = None
    """Set instead of ``alerts`` when the worker is to parse this many alerts from the payload."""


@dataclass(frozen=True)
class PendingBatch:
    """An accepted batch that has not been processed yet."""

    id: int
    source: str
    received_at: datetime
    alerts: tuple[Alert, ...]
    attempts: int
    payload: bytes | None = None
    """The body whose alerts are still to be parsed (then ``alerts`` is empty), else None."""
    alert_count: int = 0


@dataclass(frozen=True)
class Rejected:
    """A payload that was refused, as shown to whoever inspects it."""

    id: int
    received_at: datetime
    endpoint: str
    reason: str
    content_type: str | None
    size_bytes: int
    body: bytes
    truncated: bool


@functools.cache
def insert_batches_statement() -> Insert:
    """The INSERT of ``inbox_batches`` rows, returning their ids in parameter order.

    Core, not the ORM: the request path of an alert storm skips the ORM's bookkeeping.
    Built once: the same statement object keeps its cache key, not recomputed per delivery.
    """
    table = cast(Table, InboxBatch.__table__)
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def batch_rows(batches: Sequence[NewBatch]) -> list[dict[str, Any]]:
    """The parameters of ``insert_batches_statement`` for these deliveries."""
    return [
        {
            "received_at": b.received_at,
            "source": b.source,
            "payload": b.payload,
            "meta": b.meta or {},
            "alert_count": len(b.alerts) if b.alerts_in_payload is None else b.alerts_in_payload,
            "rejected_count": b.rejected_count,
            "attempts": 0,
            # NULL: the alerts are the payload's, parsed by the worker
            "alerts_json": None if b.alerts_in_payload is not None else encode_alerts(b.alerts),
        }
        for b in batches
    ]


class InboxRepository:
    """Reads and writes ``inbox_batches`` and ``rejected_payloads``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_batch(
        self,
        *,
        source: str,
        payload: bytes,
        alerts: Sequence[Alert],
        received_at: datetime,
        meta: dict[str, Any] | None = None,
        rejected_count: int = 0,
    ) -> int:
        """Store one delivery and its normalised alerts in one row; returns the batch id."""
        batch = NewBatch(source, payload, alerts, received_at, meta, rejected_count)
        [batch_id] = self.add_batches([batch])
        return batch_id

    def add_batches(self, batches: Sequence[NewBatch]) -> list[int]:
        """Store several deliveries with one statement; returns their ids in the same order."""
        if not batches:
            return []
        rows = self._session.execute(insert_batches_statement(), batch_rows(batches))
        return [int(i) for i in rows.scalars()]

    def pending(self, *, limit: int) -> list[PendingBatch]:
        """The oldest unprocessed batches, locked against other workers where the database can."""
        stmt = (
            select(InboxBatch)
            .where(InboxBatch.processed_at.is_(None))
            .order_by(InboxBatch.id)
            .limit(limit)
        )
        return self._locked(stmt)

    def pending_sizes(self, *, limit: int) -> list[tuple[int, int]]:
        """``(batch id, alerts)`` of the oldest unprocessed batches, without locking or decoding."""
        stmt = (
            select(InboxBatch.id, InboxBatch.alert_count)
            .where(InboxBatch.processed_at.is_(None))
            .order_by(InboxBatch.id)
            .limit(limit)
        )
        return [(int(i), int(n)) for i, n in self._session.execute(stmt)]

    def claim(self, batch_ids: Sequence[int]) -> list[PendingBatch]:
        """Those of these batches still unprocessed, in order, locked for this transaction.

        On PostgreSQL a batch another worker holds is skipped, not waited for.
        """
        stmt = (
            select(InboxBatch)
            .where(InboxBatch.id.in_(batch_ids), InboxBatch.processed_at.is_(None))
            .order_by(InboxBatch.id)
        )
        return self._locked(stmt)

    def _locked(self, stmt: Select[InboxBatch]) -> list[PendingBatch]:
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=InboxBatch)
        return [
            PendingBatch(
                id=b.id,
                source=b.source,
                received_at=b.received_at,
                alerts=decode_alerts(b.alerts_json),
                attempts=b.attempts,
                payload=b.payload if b.alerts_json is None and b.alert_count else None,
                alert_count=b.alert_count,
            )
            for b in self._session.scalars(stmt)
        ]

    def attempts_of(self, batch_id: int) -> int:
        """How many times processing the batch was tried (0 when unknown)."""
        stmt = select(InboxBatch.attempts).where(InboxBatch.id == batch_id)
        return int(self._session.scalar(stmt) or 0)

    def mark_processed(self, batch_id: int, *, at: datetime) -> None:
        """Record that a batch went through the pipeline; it will not be processed again."""
        batch = self._session.get_one(InboxBatch, batch_id)
        batch.processed_at = at
        batch.attempts += 1

    def record_failure(self, batch_id: int, *, error: str, give_up_at: datetime | None) -> None:
        """Count a failed attempt; after too many, park the batch (processed, with its error)."""
        batch = self._session.get_one(InboxBatch, batch_id)
        batch.attempts += 1
        batch.last_error = error[:4000]
        if give_up_at is not None:
            batch.processed_at = give_up_at

    def backlog(self) -> int:
        """How many accepted batches wait for processing."""
        stmt = select(func.count()).select_from(InboxBatch).where(InboxBatch.processed_at.is_(None))
        return int(self._session.scalar(stmt) or 0)

    def oldest_pending(self) -> datetime | None:
        """When the oldest unprocessed batch was received (processing lag)."""
        stmt = select(func.min(InboxBatch.received_at)).where(InboxBatch.processed_at.is_(None))
        value = self._session.scalar(stmt)
        if value is None:
            return None
        # min() bypasses the column type on SQLite: normalise like UTCDateTime does
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def count_alerts(self) -> int:
        """How many alerts were ever accepted (every delivery counted)."""
        return int(self._session.scalar(select(func.sum(InboxBatch.alert_count))) or 0)

    def failed_batches(self) -> list[tuple[int, str]]:
        """Batches parked after repeated failures, with their last error."""
        stmt = (
            select(InboxBatch.id, InboxBatch.last_error)
            .where(InboxBatch.last_error.is_not(None), InboxBatch.processed_at.is_not(None))
            .order_by(InboxBatch.id)
        )
        return [(int(i), str(e)) for i, e in self._session.execute(stmt)]

    def add_rejected(
        self,
        *,
        endpoint: str,
        reason: str,
        body: bytes,
        size_bytes: int,
        content_type: str | None,
        received_at: datetime,
        keep_bytes: int,
    ) -> int:
        """Keep a refused payload (its first ``keep_bytes``) so that someone can inspect it."""
        row = RejectedPayload(
            received_at=received_at,
            endpoint=endpoint,
            reason=reason[:4000],
            content_type=content_type[:255] if content_type else None,
            size_bytes=size_bytes,
            body=body[:keep_bytes],
            truncated=len(body) > keep_bytes or size_bytes > len(body),
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def rejected(self, *, limit: int = 100) -> list[Rejected]:
        """The most recent refused payloads, newest first."""
        stmt = select(RejectedPayload).order_by(RejectedPayload.id.desc()).limit(limit)
        return [
            Rejected(
                id=r.id,
                received_at=r.received_at,
                endpoint=r.endpoint,
                reason=r.reason,
                content_type=r.content_type,
                size_bytes=r.size_bytes,
                body=r.body,
                truncated=r.truncated,
            )
            for r in self._session.scalars(stmt)
        ]
