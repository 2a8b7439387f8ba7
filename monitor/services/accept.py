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
from monitor.store.repositories.inbox import NewBatch

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


@dataclass(frozen=True)
class Delivery:
    """One parsed delivery waiting to be committed to the inbox."""

    source: str
    body: bytes
    alerts: Sequence[Alert]
    rejected: Sequence[RejectedAlert]
    received_at: datetime
    endpoint: str
    meta: dict[str, Any] | None = None
    alerts_in_payload: int | None = None
    """Set when the alerts were only screened: this many, parsed from the body by the worker."""

    @property
    def accepted(self) -> int:
        """How many alerts the sender is told were accepted."""
        return len(self.alerts) if self.alerts_in_payload is None else self.alerts_in_payload


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
    delivery = Delivery(source, body, alerts, rejected, received_at, endpoint, meta)
    [accepted] = accept_deliveries(store, [delivery])
    return accepted


def accept_deliveries(store: Store, deliveries: Sequence[Delivery]) -> list[Accepted]:
    """Commit several deliveries in one transaction: all of them are in the inbox, or none."""
    batches = [
        NewBatch(
            d.source,
            d.body,
            d.alerts,
            d.received_at,
            d.meta,
            len(d.rejected),
            alerts_in_payload=d.alerts_in_payload,
        )
        for d in deliveries
    ]
    if not any(d.rejected for d in deliveries):
        # the storm's case: nothing to keep beside the batches, one statement commits them
        ids = store.append_to_inbox(batches)
        return [Accepted(i, d.accepted, (), None) for d, i in zip(deliveries, ids, strict=True)]
    with store.unit_of_work() as uow:
        batch_ids = uow.inbox.add_batches(batches)
        results = []
        for d, batch_id in zip(deliveries, batch_ids, strict=True):
            rejected_id = None
            if d.rejected:
                rejected_id = uow.inbox.add_rejected(
                    endpoint=d.endpoint,
                    reason="; ".join(r.reason for r in d.rejected[:50]),
                    body=d.body,
                    size_bytes=len(d.body),
                    content_type="application/json",
                    received_at=d.received_at,
                    keep_bytes=REJECTED_KEEP_BYTES,
                )
            results.append(Accepted(batch_id, d.accepted, tuple(d.rejected), rejected_id))
        uow.commit()
    return results


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
