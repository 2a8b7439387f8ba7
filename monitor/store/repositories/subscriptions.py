"""Subscriptions to the status page and the messages owed to each subscriber.

Deliveries work like the outbox: planned in one transaction (the unique
``(subscription_id, event_key)`` makes planning idempotent), claimed by the
dispatcher (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), then finished.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from monitor.domain import EventKind, MaintenanceWindow
from monitor.store.models import (
    IncidentEventRow,
    IncidentRow,
    MaintenanceWindowRow,
    SubscriptionDeliveryRow,
    SubscriptionRow,
)
from monitor.store.repositories.convert import window_from_row


class DeliveryStatus(StrEnum):
    """Where a message owed to a subscriber is in its life."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    COALESCED = "coalesced"
    """Folded into a digest by the rate limit; the digest is what is sent."""
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Subscription:
    """A subscriber as the services see it (tokens are never stored, only derived)."""

    id: int
    kind: str
    target: str
    target_digest: str
    language: str
    touchpoints: tuple[str, ...]
    components: tuple[str, ...]
    secret_ref: str
    confirmed_at: datetime | None
    created_at: datetime
    unsubscribed_at: datetime | None
    last_sent_at: datetime | None

    @property
    def active(self) -> bool:
        """True when confirmed and not unsubscribed: the only state in which notices go out."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


@dataclass(frozen=True)
class SubscriptionDelivery:
    """One message owed to a subscriber."""

    id: int
    subscription_id: int
    event_key: str
    kind: str
    payload: Mapping[str, Any]
    status: DeliveryStatus
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    last_error: str | None
    digest_id: int | None


@dataclass(frozen=True)
class PublishedUpdate:
    """A customer-facing update with the touchpoints its incident hurt."""

    event_id: int
    incident_id: int
    at: datetime
    data: Mapping[str, Any]
    touchpoints: frozenset[str]


class SubscriptionRepository:
    """Reads and writes ``subscriptions`` and ``subscription_deliveries``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        kind: str,
        target: str,
        target_digest: str,
        language: str,
        touchpoints: Collection[str],
        components: Collection[str],
        secret_ref: str,
        confirm_digest: str,
        unsubscribe_digest: str,
        created_at: datetime,
    ) -> Subscription:
        """Store a new, unconfirmed subscription."""
        row = SubscriptionRow(
            kind=kind,
            target=target,
            target_digest=target_digest,
            language=language,
            touchpoints=sorted(touchpoints),
            components=sorted(components),
            secret_ref=secret_ref,
            confirm_digest=confirm_digest,
            unsubscribe_digest=unsubscribe_digest,
            created_at=created_at,
        )
        self._session.add(row)
        self._session.flush()
        return _subscription(row)

    def get(self, subscription_id: int) -> Subscription | None:
        """The subscription with this id, if any."""
        row = self._session.get(SubscriptionRow, subscription_id)
        return None if row is None else _subscription(row)

    def by_confirm_digest(self, digest: str) -> Subscription | None:
        """The unconfirmed subscription whose confirm token has this digest."""
        row = self._session.scalar(
            select(SubscriptionRow).where(SubscriptionRow.confirm_digest == digest)
        )
        return None if row is None else _subscription(row)

    def by_unsubscribe_digest(self, digest: str) -> Subscription | None:
        """The subscription whose unsubscribe token has this digest."""
        row = self._session.scalar(
            select(SubscriptionRow).where(SubscriptionRow.unsubscribe_digest == digest)
        )
        return None if row is None else _subscription(row)

    def confirm(self, subscription_id: int, *, at: datetime) -> None:
        """Mark confirmed and forget the confirm token's digest, so the link works once."""
        row = self._session.get_one(SubscriptionRow, subscription_id)
        row.confirmed_at = at
        row.confirm_digest = None

    def unsubscribe(self, subscription_id: int, *, at: datetime) -> None:
        """End a subscription and cancel what it was still owed."""
        row = self._session.get_one(SubscriptionRow, subscription_id)
        if row.unsubscribed_at is None:
            row.unsubscribed_at = at
        row.confirm_digest = None
        self._session.execute(
            update(SubscriptionDeliveryRow)
            .where(
                SubscriptionDeliveryRow.subscription_id == subscription_id,
                SubscriptionDeliveryRow.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value)
        )

    def recently_requested(self, target_digest: str, *, kind: str, since: datetime) -> bool:
        """True when this target asked for a subscription after ``since`` and did not confirm."""
        row = self._session.scalar(
            select(SubscriptionRow.id)
            .where(
                SubscriptionRow.target_digest == target_digest,
                SubscriptionRow.kind == kind,
                SubscriptionRow.confirmed_at.is_(None),
                SubscriptionRow.unsubscribed_at.is_(None),
                SubscriptionRow.created_at > since,
            )
            .limit(1)
        )
        return row is not None

    def active(self) -> list[Subscription]:
        """Confirmed subscriptions that have not ended, oldest first."""
        stmt = (
            select(SubscriptionRow)
            .where(
                SubscriptionRow.confirmed_at.is_not(None),
                SubscriptionRow.unsubscribed_at.is_(None),
            )
            .order_by(SubscriptionRow.id)
        )
        return [_subscription(r) for r in self._session.scalars(stmt)]

    def page(self, *, limit: int, offset: int = 0) -> list[Subscription]:
        """Every subscription, newest first."""
        stmt = (
            select(SubscriptionRow).order_by(SubscriptionRow.id.desc()).limit(limit).offset(offset)
        )
        return [_subscription(r) for r in self._session.scalars(stmt)]

    def existing_keys(self, subscription_id: int, keys: Collection[str]) -> set[str]:
        """The keys among ``keys`` already planned for this subscription."""
        if not keys:
            return set()
        stmt = select(SubscriptionDeliveryRow.event_key).where(
            SubscriptionDeliveryRow.subscription_id == subscription_id,
            SubscriptionDeliveryRow.event_key.in_(list(keys)),
        )
        return set(self._session.scalars(stmt))

    def add_delivery(
        self,
        subscription_id: int,
        *,
        event_key: str,
        kind: str,
        payload: Mapping[str, Any],
        due_at: datetime,
        created_at: datetime,
    ) -> SubscriptionDelivery:
        """Plan a message; the caller has checked the key is new (the constraint insists)."""
        row = SubscriptionDeliveryRow(
            subscription_id=subscription_id,
            event_key=event_key[:255],
            kind=kind,
            payload=dict(payload),
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            due_at=due_at,
            created_at=created_at,
        )
        self._session.add(row)
        self._session.flush()
        return _delivery(row)

    def due(self, *, now: datetime, limit: int) -> list[SubscriptionDelivery]:
        """Messages to send now: pending and due, or claimed by a process that did not finish."""
        row = SubscriptionDeliveryRow
        stmt = (
            select(row)
            .where(
                or_(
                    (row.status == DeliveryStatus.PENDING.value) & (row.due_at <= now),
                    (row.status == DeliveryStatus.SENDING.value) & (row.claimed_until <= now),
                )
            )
            .order_by(row.due_at, row.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return [_delivery(r) for r in self._session.scalars(stmt)]

    def sent_since(self, subscription_id: int, *, since: datetime) -> list[datetime]:
        """When this subscriber was last sent notices (confirmations aside), oldest first."""
        row = SubscriptionDeliveryRow
        stmt = (
            select(row.sent_at)
            .where(
                row.subscription_id == subscription_id,
                row.status == DeliveryStatus.SENT.value,
                row.kind != "confirmation",
                row.sent_at > since,
            )
            .order_by(row.sent_at)
        )
        return [at for at in self._session.scalars(stmt) if at is not None]

    def claim(self, delivery_id: int, *, until: datetime) -> None:
        """Mark a message as being sent until ``until`` (then another attempt may take it)."""
        row = self._session.get_one(SubscriptionDeliveryRow, delivery_id)
        row.status = DeliveryStatus.SENDING.value
        row.attempts += 1
        row.claimed_until = until

    def postpone(self, delivery_ids: Collection[int], *, due_at: datetime) -> None:
        """Hold pending messages back until ``due_at`` (the subscriber's hourly budget is spent)."""
        if delivery_ids:
            self._session.execute(
                update(SubscriptionDeliveryRow)
                .where(SubscriptionDeliveryRow.id.in_(list(delivery_ids)))
                .values(status=DeliveryStatus.PENDING.value, due_at=due_at, claimed_until=None)
            )

    def fold(self, delivery_ids: Collection[int], *, into: int) -> None:
        """Mark messages as carried by the digest ``into``."""
        if delivery_ids:
            self._session.execute(
                update(SubscriptionDeliveryRow)
                .where(SubscriptionDeliveryRow.id.in_(list(delivery_ids)))
                .values(status=DeliveryStatus.COALESCED.value, digest_id=into, claimed_until=None)
            )

    def cancel(self, delivery_ids: Collection[int]) -> None:
        """Drop messages that must not go out (the subscription ended)."""
        if delivery_ids:
            self._session.execute(
                update(SubscriptionDeliveryRow)
                .where(SubscriptionDeliveryRow.id.in_(list(delivery_ids)))
                .values(status=DeliveryStatus.CANCELLED.value, claimed_until=None)
            )

    def finish(
        self, delivery_id: int, *, status: DeliveryStatus, at: datetime, error: str | None = None
    ) -> None:
        """Record that a message was sent, or failed for good."""
        row = self._session.get_one(SubscriptionDeliveryRow, delivery_id)
        row.status = status.value
        row.claimed_until = None
        row.last_error = error[:4000] if error else None
        if status is DeliveryStatus.SENT:
            row.sent_at = at
            subscription = self._session.get_one(SubscriptionRow, row.subscription_id)
            subscription.last_sent_at = at

    def retry_at(self, delivery_id: int, *, due_at: datetime, error: str) -> None:
        """Put a message back to pending, to be tried again at ``due_at``."""
        row = self._session.get_one(SubscriptionDeliveryRow, delivery_id)
        row.status = DeliveryStatus.PENDING.value
        row.claimed_until = None
        row.due_at = due_at
        row.last_error = error[:4000]

    def deliveries_of(self, subscription_id: int) -> list[SubscriptionDelivery]:
        """A subscriber's messages in the order they were planned."""
        stmt = (
            select(SubscriptionDeliveryRow)
            .where(SubscriptionDeliveryRow.subscription_id == subscription_id)
            .order_by(SubscriptionDeliveryRow.id)
        )
        return [_delivery(r) for r in self._session.scalars(stmt)]

    def public_updates(self, *, since: datetime) -> list[PublishedUpdate]:
        """Customer-facing updates published after ``since``, oldest first."""
        stmt = (
            select(IncidentEventRow, IncidentRow)
            .join(IncidentRow, IncidentRow.id == IncidentEventRow.incident_id)
            .where(
                IncidentEventRow.kind == EventKind.PUBLIC_UPDATE.value,
                IncidentEventRow.at > since,
            )
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return [
            PublishedUpdate(
                event_id=event.id,
                incident_id=incident.id,
                at=event.at,
                data=dict(event.data),
                touchpoints=frozenset(incident.touchpoints) | frozenset(incident.peak_touchpoints),
            )
            for event, incident in self._session.execute(stmt)
        ]

    def maintenance_declared(
        self, *, since: datetime
    ) -> Sequence[tuple[MaintenanceWindow, datetime]]:
        """Windows declared after ``since`` that have not ended, with when they were declared."""
        stmt = (
            select(MaintenanceWindowRow)
            .where(MaintenanceWindowRow.created_at > since)
            .order_by(MaintenanceWindowRow.created_at, MaintenanceWindowRow.id)
        )
        return [(window_from_row(r), r.created_at) for r in self._session.scalars(stmt)]


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        kind=row.kind,
        target=row.target,
        target_digest=row.target_digest,
        language=row.language,
        touchpoints=tuple(row.touchpoints),
        components=tuple(row.components),
        secret_ref=row.secret_ref,
        confirmed_at=row.confirmed_at,
        created_at=row.created_at,
        unsubscribed_at=row.unsubscribed_at,
        last_sent_at=row.last_sent_at,
    )


def _delivery(row: SubscriptionDeliveryRow) -> SubscriptionDelivery:
    return SubscriptionDelivery(
        id=row.id,
        subscription_id=row.subscription_id,
        event_key=row.event_key,
        kind=row.kind,
        payload=dict(row.payload),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        due_at=row.due_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        digest_id=row.digest_id,
    )
