"""Stages around notifiers, in the order the dispatcher chains them: retry(dedup(send)).

Each stage has the same signature, ``deliver(message, attempt=n)``, so the
chain reads as a list (Alertmanager's ``notify.go``). Retrying here does not
sleep: it says when to try again, and the outbox keeps that durable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from monitor.notify.base import Delivery, Lookup, Message, Notifier


class Deliverer(Protocol):
    """One stage of delivery."""

    def deliver(self, message: Message, *, attempt: int) -> Delivery:
        """Deliver ``message``; ``attempt`` counts from 1."""
        ...


class Send:
    """The innermost stage: hand the message to a notifier."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def deliver(self, message: Message, *, attempt: int) -> Delivery:  # noqa: ARG002 - stage signature
        """Send once."""
        return self._notifier.send(message)


class Dedup:
    """Before trying again, look for a delivery an interrupted attempt already made.

    A crash between sending and recording leaves the row claimed without a
    result; on the next attempt the channel is asked (Slack: a message whose
    metadata carries the key) so the message is not posted twice.
    """

    def __init__(self, inner: Deliverer, lookup: Lookup | None) -> None:
        self._inner = inner
        self._lookup = lookup

    def deliver(self, message: Message, *, attempt: int) -> Delivery:
        """The earlier delivery if there is one, else the inner stage's."""
        if attempt > 1 and self._lookup is not None:
            found = self._lookup.find(message)
            if found is not None:
                return replace(found, deduplicated=True)
        return self._inner.deliver(message, attempt=attempt)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: ``first``, doubled each attempt, capped, for ``attempts`` tries."""

    first: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(minutes=10)
    attempts: int = 20

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt number ``attempt``."""
        delay: timedelta = self.first * (2 ** min(30, max(0, attempt - 1)))
        return min(self.cap, delay)


class Retry:
    """Turn a retryable failure into "try again at": the dispatcher reschedules the row."""

    def __init__(
        self, inner: Deliverer, *, policy: RetryPolicy, clock: Callable[[], datetime]
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._clock = clock

    def deliver(self, message: Message, *, attempt: int) -> Delivery:
        """The inner delivery, with ``retry_at`` set when another attempt is worth it."""
        result = self._inner.deliver(message, attempt=attempt)
        if result.ok or not result.retryable or attempt >= self._policy.attempts:
            return result
        return replace(result, retry_at=self._clock() + self._policy.delay(attempt))
