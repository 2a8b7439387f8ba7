"""Sending what subscribers are owed, within an hourly budget, never twice on purpose.

Each turn claims due deliveries in one transaction (marked ``sending`` with
a claim that expires, locked against other processes on PostgreSQL), sends
them outside any transaction, and records each outcome in another. A
subscriber gets at most ``subscription_max_per_hour`` notices in any hour:
when more are due than the budget allows, the last slot carries one digest
of the rest, and when the budget is spent, notices wait for the next slot
(and then go out as a digest). Confirmations are outside the budget.
Failures are retried with exponential back-off, then given up.

Delivery is at least once: a crash between sending and recording leaves the
claim to expire and the message to be sent again, with the same
``Idempotency-Key`` or ``Message-ID`` so that the receiver can drop it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx

from monitor.catalog import Catalog
from monitor.notify.base import Delivery
from monitor.services.subscriptions.keys import alias
from monitor.services.subscriptions.plan import plan_deliveries
from monitor.services.subscriptions.send import Outgoing, Senders
from monitor.settings import Settings
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.subscriptions import (
    DeliveryStatus,
    Subscription,
    SubscriptionDelivery,
)

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
BATCH = 100


def notify_subscribers(store: Store, *, catalog: Catalog, settings: Settings, now: datetime) -> int:
    """Plan what subscribers are owed and send what is due; returns messages sent."""
    with store.unit_of_work() as uow:
        debounce = timedelta(seconds=settings.subscription_debounce_seconds)
        if plan_deliveries(uow, catalog=catalog, debounce=debounce, now=now):
            uow.commit()
    claimed = claim_due(store, settings=settings, now=now)
    if not claimed:
        return 0
    with httpx.Client(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        senders = Senders(settings=settings, client=client)
        outcomes = [(item, _send(senders, item, now=now)) for item in claimed]
    record(store, outcomes, now=now)
    return sum(1 for _, delivery in outcomes if delivery.ok)


def _send(senders: Senders, item: Outgoing, *, now: datetime) -> Delivery:
    """Send one message; an unexpected error is a failure of that message, not of the turn."""
    try:
        return senders.send(item, now=now)
    except Exception as exc:  # a claimed row must be recorded whatever happens
        log.exception("sending %s to %s failed unexpectedly", item.kind, alias(item.target_digest))
        return Delivery.failed(f"unexpected {type(exc).__name__}", retryable=True)


def claim_due(store: Store, *, settings: Settings, now: datetime) -> list[Outgoing]:
    """Claim the deliveries to send now, folding those over budget into digests."""
    claimed: list[Outgoing] = []
    with store.unit_of_work() as uow:
        due = uow.subscriptions.due(now=now, limit=BATCH)
        if not due:
            return []
        by_subscriber: dict[int, list[SubscriptionDelivery]] = {}
        for item in due:
            by_subscriber.setdefault(item.subscription_id, []).append(item)
        for subscription_id, items in by_subscriber.items():
            subscriber = uow.subscriptions.get(subscription_id)
            if subscriber is None or subscriber.unsubscribed_at is not None:
                uow.subscriptions.cancel([i.id for i in items])
                continue
            for item in _within_budget(uow, subscriber, items, settings=settings, now=now):
                uow.subscriptions.claim(item.id, until=now + CLAIM)
                claimed.append(_outgoing(item, subscriber))
        uow.commit()
    return claimed


def _within_budget(
    uow: UnitOfWork,
    subscriber: Subscription,
    items: Sequence[SubscriptionDelivery],
    *,
    settings: Settings,
    now: datetime,
) -> list[SubscriptionDelivery]:
    """What may go now: confirmations and retries as they are, new notices within the budget."""
    # A retry or a digest already passed the budget once; only new notices are counted.
    fresh = [i for i in items if i.kind not in ("confirmation", "digest") and i.attempts == 0]
    ready = [i for i in items if i not in fresh]
    if subscriber.confirmed_at is None:
        uow.subscriptions.cancel([i.id for i in fresh])
        return [i for i in ready if i.kind == "confirmation"]
    if not fresh:
        return ready
    limit = settings.subscription_max_per_hour
    sent = uow.subscriptions.sent_since(subscriber.id, since=now - HOUR)
    budget = limit - len(sent) - sum(1 for i in ready if i.kind != "confirmation")
    if budget <= 0:
        # The next slot frees when the oldest message that fills the budget is an hour old.
        free_at = sent[len(sent) - limit] + HOUR if len(sent) >= limit else now + CLAIM
        uow.subscriptions.postpone([i.id for i in fresh], due_at=max(free_at, now))
        log.info(
            "subscription %s over budget; %d notices wait",
            alias(subscriber.target_digest),
            len(fresh),
        )
        return ready
    if len(fresh) <= budget:
        return [*ready, *fresh]
    alone, folded = fresh[: budget - 1], fresh[budget - 1 :]
    keys = ",".join(i.event_key for i in folded)
    digest = uow.subscriptions.add_delivery(
        subscriber.id,
        event_key="digest:" + hashlib.sha256(keys.encode()).hexdigest()[:40],
        kind="digest",
        payload={"items": [{"kind": i.kind, **i.payload} for i in folded]},
        due_at=now,
        created_at=now,
    )
    uow.subscriptions.fold([i.id for i in folded], into=digest.id)
    return [*ready, *alone, digest]


def record(store: Store, outcomes: Sequence[tuple[Outgoing, Delivery]], *, now: datetime) -> None:
    """Record each send: sent, retried later with back-off, or given up."""
    with store.unit_of_work() as uow:
        for item, delivery in outcomes:
            who = alias(item.target_digest)
            if delivery.ok:
                uow.subscriptions.finish(item.delivery_id, status=DeliveryStatus.SENT, at=now)
                log.info("sent %s to %s by %s", item.kind, who, item.channel)
                continue
            error = delivery.error or "failed"
            if delivery.retryable and item.attempt < MAX_ATTEMPTS:
                delay = min(FIRST_RETRY * 2 ** (item.attempt - 1), LONGEST_RETRY)
                uow.subscriptions.retry_at(item.delivery_id, due_at=now + delay, error=error)
                log.warning("%s to %s failed (%s); retry in %s", item.kind, who, error, delay)
            else:
                uow.subscriptions.finish(
                    item.delivery_id, status=DeliveryStatus.FAILED, at=now, error=error
                )
                log.warning("%s to %s failed for good: %s", item.kind, who, error)
        uow.commit()


def _outgoing(item: SubscriptionDelivery, subscriber: Subscription) -> Outgoing:
    return Outgoing(
        delivery_id=item.id,
        subscription_id=subscriber.id,
        event_key=item.event_key,
        attempt=item.attempts + 1,
        kind=item.kind,
        payload=item.payload,
        channel=subscriber.kind,
        target=subscriber.target,
        target_digest=subscriber.target_digest,
        language=subscriber.language,
        secret_ref=subscriber.secret_ref,
    )
