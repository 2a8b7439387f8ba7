"""What every notifier receives and answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class MessageKind(StrEnum):
    """What a message does in its channel."""

    POST = "post"
    """A new message (``thread_ts`` set: a reply in that thread)."""
    UPDATE = "update"
    """An edit of the message ``ts`` in ``channel_id``."""
    CALL = "call"
    """A JSON call (webhook, status page, customer communication)."""


@dataclass(frozen=True)
class Message:
    """One delivery: the idempotency ``key`` is the same on every attempt."""

    key: str
    kind: MessageKind
    channel: str | None = None
    text: str = ""
    blocks: tuple[Mapping[str, Any], ...] = ()
    thread_ts: str | None = None
    ts: str | None = None
    target: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """What happened: ``ok``, or a failure that is ``retryable`` or not."""

    ok: bool
    retryable: bool = False
    error: str | None = None
    ref: Mapping[str, Any] = field(default_factory=dict)
    """What the channel answered that later steps need: Slack ``ts`` and ``channel``…"""
    retry_at: datetime | None = None
    deduplicated: bool = False

    @classmethod
    def done(cls, **ref: Any) -> Delivery:
        """A successful delivery with what the channel answered."""
        return cls(ok=True, ref=ref)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> Delivery:
        """A failed delivery."""
        return cls(ok=False, retryable=retryable, error=error)


class Notifier(Protocol):
    """Delivers one message; never retries by itself."""

    def send(self, message: Message) -> Delivery:
        """Deliver ``message``; a failure says whether trying again may help."""
        ...


class Lookup(Protocol):
    """Finds an earlier delivery of a message, where the channel allows it."""

    def find(self, message: Message) -> Delivery | None:
        """The earlier delivery of ``message`` (same key), if the channel has it."""
        ...
