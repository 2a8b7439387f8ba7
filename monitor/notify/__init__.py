"""Delivering notifications: the Notifier Protocol, Slack, webhooks, the sink, and wrapper stages.

A notifier delivers one message and says whether a failure is worth retrying
(as Alertmanager's notifiers do); retrying, deduplicating and recording are
stages around notifiers, never code inside an adapter.
"""

from monitor.notify.base import Delivery, Lookup, Message, Notifier
from monitor.notify.stages import Dedup, Deliverer, Retry, RetryPolicy, Send

__all__ = [
    "Dedup",
    "Deliverer",
    "Delivery",
    "Lookup",
    "Message",
    "Notifier",
    "Retry",
    "RetryPolicy",
    "Send",
]
