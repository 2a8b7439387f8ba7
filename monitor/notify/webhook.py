"""Webhooks (ticketing, CRM, refunds and fee waivers, status page): signed JSON over HTTPS.

The body is signed with HMAC-SHA256 over ``"{timestamp}.{body}"`` so the
receiver can check it came from the monitor and is fresh (the scheme Slack
and Stripe use), and every attempt carries the same ``Idempotency-Key`` so a
receiver that honours it applies a retried call once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import httpx

from monitor.notify.base import Delivery, Message, Notifier

SIGNATURE_HEADER = "X-Monitor-Signature"
TIMESTAMP_HEADER = "X-Monitor-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: bytes, *, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class WebhookNotifier:
    """Posts signed JSON to named targets; unnamed targets go to ``fallback``."""

    def __init__(
        self,
        *,
        urls: Mapping[str, str],
        secret: bytes | None,
        timeout_seconds: float,
        fallback: Notifier,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._urls = dict(urls)
        self._secret = secret
        self._fallback = fallback
        self._client = httpx.Client(timeout=timeout_seconds, transport=transport)

    def send(self, message: Message) -> Delivery:
        """Post the body; 408, 429 and 5xx or a network error are worth retrying."""
        url = self._urls.get(message.target or "")
        if url is None:
            return self._fallback.send(message)
        body = json.dumps(dict(message.body), sort_keys=True, default=str).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: message.key,
            TIMESTAMP_HEADER: timestamp,
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp=timestamp, body=body)
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery.failed(
                f"{message.target} unreachable: {type(exc).__name__}", retryable=True
            )
        if response.is_success:
            return Delivery.done(status=response.status_code, target=message.target)
        retryable = response.status_code in (408, 429) or response.status_code >= 500
        return Delivery.failed(
            f"{message.target} answered HTTP {response.status_code}", retryable=retryable
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
