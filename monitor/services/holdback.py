"""Holding back a round's other messages once their channel fails.

The dispatcher runs in the worker thread, between inbox batches. If Slack
hangs or refuses, trying each of fifty claimed messages in turn would hold
alert processing for fifty timeouts, and a later message could get through
before an earlier one that failed, out of order. After the first retryable
failure of a channel, the rest of the round's messages for it go back to
the outbox, due when the failed one is retried, their attempt not counted.
"""

from __future__ import annotations

from datetime import datetime

from monitor.domain import IntentAction

SLACK_ACTIONS = frozenset(
    {IntentAction.SLACK_POST, IntentAction.PAGE, IntentAction.SLACK_HEAD_UPDATE}
)
CALL_ACTIONS = frozenset({IntentAction.WEBHOOK, IntentAction.CUSTOMER_MESSAGE})


def channel_of(action: IntentAction) -> str | None:
    """Which outside channel a row's delivery needs (None: this monitor's own work)."""
    if action in SLACK_ACTIONS:
        return "slack"
    if action in CALL_ACTIONS:
        return "calls"
    return None


class Holdback:
    """Channels found failing in this round, and when to try them again."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}

    def held_until(self, action: IntentAction) -> datetime | None:
        """When a row of this action may be tried again, if its channel failed this round."""
        channel = channel_of(action)
        return self._until.get(channel) if channel else None

    def failed(self, action: IntentAction, *, retry_at: datetime) -> None:
        """A delivery over this action's channel failed and will be retried at ``retry_at``."""
        channel = channel_of(action)
        if channel is not None and channel not in self._until:
            self._until[channel] = retry_at
