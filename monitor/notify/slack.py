"""Slack through slack-sdk's ``WebClient``: post, reply in thread, edit; find earlier posts.

The client retries rate limits (429 with Retry-After) and connection errors
itself, with slack-sdk's own handlers; anything still failing is answered as
a ``Delivery`` saying whether it is worth trying later. Every post carries
the idempotency key in its message metadata so that, after an interrupted
attempt, ``find`` can recognise a message that was in fact posted.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from monitor.notify.base import Delivery, Message, MessageKind

log = logging.getLogger(__name__)

EVENT_TYPE = "outage_monitor_notification"

# Errors that another attempt cannot fix: configuration or permissions.
_PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "no_text",
    }
)


def slack_client(*, token: str, base_url: str, timeout: int = 15) -> WebClient:
    """A WebClient that retries rate limits and connection errors (not only the latter)."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


class SlackNotifier:
    """Delivers messages to Slack and finds earlier deliveries by their key."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._channel_ids: dict[str, str] = {}

    def send(self, message: Message) -> Delivery:
        """Post, reply or edit, as the message says."""
        try:
            if message.kind is MessageKind.UPDATE:
                assert message.channel is not None
                assert message.ts is not None
                response = self._client.chat_update(
                    channel=message.channel,
                    ts=message.ts,
                    text=message.text,
                    blocks=[dict(b) for b in message.blocks] or None,
                )
            else:
                assert message.channel is not None
                response = self._client.chat_postMessage(
                    channel=message.channel,
                    text=message.text,
                    blocks=[dict(b) for b in message.blocks] or None,
                    thread_ts=message.thread_ts,
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"key": message.key}},
                    unfurl_links=False,
                )
        except SlackApiError as exc:
            return _api_failure(exc)
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            # An answer broken off (IncompleteRead) may follow a post that went
            # through: retryable, and the retry first looks for it by its key.
            return Delivery.failed(f"Slack unreachable: {type(exc).__name__}", retryable=True)
        return Delivery.done(ts=str(response["ts"]), channel=str(response["channel"]))

    def find(self, message: Message) -> Delivery | None:
        """The message posted earlier with this key, if Slack still shows it."""
        if message.kind is not MessageKind.POST or message.channel is None:
            return None
        try:
            channel = self._channel_id(message.channel)
            if channel is None:
                return None
            if message.thread_ts:
                response = self._client.conversations_replies(
                    channel=channel,
                    ts=message.thread_ts,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                response = self._client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200
                )
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            log.warning("could not look for an earlier Slack post: %s", type(exc).__name__)
            return None
        for found in response.get("messages") or []:
            if _key_of(found) == message.key:
                return Delivery.done(ts=str(found["ts"]), channel=channel)
        return None

    def _channel_id(self, name: str) -> str | None:
        if not name.startswith("#"):
            return name
        if name not in self._channel_ids:
            cursor: str | None = None
            while True:
                page = self._client.conversations_list(
                    types="public_channel,private_channel", limit=1000, cursor=cursor
                )
                for channel in page.get("channels") or []:
                    self._channel_ids[f"#{channel['name']}"] = str(channel["id"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        return self._channel_ids.get(name)


def _key_of(message: Mapping[str, Any]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    return str(payload.get("key")) if isinstance(payload, Mapping) else None


def _api_failure(exc: SlackApiError) -> Delivery:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"HTTP {status}")
    retryable = status == 429 or status >= 500 or error not in _PERMANENT
    return Delivery.failed(f"Slack answered {error}", retryable=retryable)
