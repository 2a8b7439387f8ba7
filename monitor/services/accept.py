"""Accepting deliveries: the short path that runs before the sender gets its answer.

Only parsing and one INSERT transaction happen here; correlation and everything
after run later from the inbox, so an alert storm is absorbed at write speed and
a 2xx always means "committed".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.domain import Alert
from monitor.store import Store

REJECTED_KEEP_BYTES = 256 * 1024
"""How much of a refused body is kept for inspection (the rest is counted, not stored)."""


@dataclass(frozen=True)
class RejectedAlert:
    """One alert of a delivery that was refused, and why."""

    index: int
    reason: str


@dataclass(frozen=True)
class Accepted:
    """What the sender is told after a delivery is committed."""

    batch_id: int
    accepted: int
    rejected: tuple[RejectedAlert, ...]
    rejected_payload_id: int | None


def accept_delivery(
    store: Store,
    *,
    source: str,
    body: bytes,
    alerts: Sequence[Alert],
    rejected: Sequence[RejectedAlert],
    received_at: datetime,
    meta: dict[str, Any] | None = None,
    endpoint: str,
) -> Accepted:
    """Commit a delivery's alerts to the inbox (and keep the body if part of it was refused)."""
    with store.unit_of_work() as uow:
        batch_id = uow.inbox.add_batch(
            source=source,
            payload=body,
            alerts=alerts,
            received_at=received_at,
            meta=meta,
            rejected_count=len(rejected),
        )
        rejected_id = None
        if rejected:
            rejected_id = uow.inbox.add_rejected(
                endpoint=endpoint,
                reason="; ".join(r.reason for r in rejected[:50]),
                body=body,
                size_bytes=len(body),
                content_type="application/json",
                received_at=received_at,
                keep_bytes=REJECTED_KEEP_BYTES,
            )
        uow.commit()
    return Accepted(batch_id, len(alerts), tuple(rejected), rejected_id)


def reject_delivery(
    store: Store,
    *,
    endpoint: str,
    reason: str,
    body: bytes,
    size_bytes: int,
    content_type: str | None,
    received_at: datetime,
) -> int:
    """Keep a refused delivery for inspection; returns its id."""
    with store.unit_of_work() as uow:
        rejected_id = uow.inbox.add_rejected(
            endpoint=endpoint,
            reason=reason,
            body=body,
            size_bytes=size_bytes,
            content_type=content_type,
            received_at=received_at,
            keep_bytes=REJECTED_KEEP_BYTES,
        )
        uow.commit()
    return rejected_id
