"""Subscriptions to the status page: people and systems hear of published changes only.

``manage`` takes subscriptions in (double opt-in, one-click unsubscribe),
``plan`` turns what was published (customer-facing updates, debounced
touchpoint states, maintenance notices) into messages owed to each
subscriber, and ``deliver`` sends them under a per-subscriber hourly budget,
by signed webhook or by e-mail. ``notify_subscribers`` is the one call the
worker makes each turn.
"""

from __future__ import annotations

from monitor.services.subscriptions.deliver import notify_subscribers
from monitor.services.subscriptions.manage import (
    Subscribed,
    SubscriptionRequest,
    confirm,
    list_subscriptions,
    subscribe,
    unsubscribe,
)

__all__ = [
    "Subscribed",
    "SubscriptionRequest",
    "confirm",
    "list_subscriptions",
    "notify_subscribers",
    "subscribe",
    "unsubscribe",
]
