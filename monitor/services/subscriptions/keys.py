"""Tokens, signing secrets and pseudonyms of subscribers.

Nothing a subscriber could use is stored: each subscription keeps a random
reference, and its confirm token, unsubscribe token and webhook signing
secret are HMACs of that reference under the deployment's key
(``MONITOR_SUBSCRIPTION_SECRET_KEY``). The database holds only SHA-256
digests of the tokens, for lookup. Without the key set, the tokens can be
recomputed by anyone who reads the database; set it in production. Rotating
the key invalidates every link and secret handed out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pydantic import SecretStr

from monitor.notify.webhook import sign

SIGNATURE_HEADER = "X-Monitor-Signature"


@dataclass(frozen=True)
class Keys:
    """Derives a subscription's secrets from its reference."""

    key: bytes

    @classmethod
    def of(cls, secret: SecretStr | None) -> Keys:
        """Keys under the configured secret (empty when none is configured)."""
        return cls(secret.get_secret_value().encode() if secret is not None else b"")

    def _derive(self, purpose: str, ref: str) -> str:
        return hmac.new(self.key, f"{purpose}:{ref}".encode(), hashlib.sha256).hexdigest()

    def confirm_token(self, ref: str) -> str:
        """The token of the confirmation link."""
        return self._derive("confirm", ref)

    def unsubscribe_token(self, ref: str) -> str:
        """The token of the one-click unsubscribe link."""
        return self._derive("unsubscribe", ref)

    def signing_secret(self, ref: str) -> str:
        """The secret a webhook subscriber verifies signatures with."""
        return "whsec_" + self._derive("signing", ref)


def digest(value: str) -> str:
    """The SHA-256 hex digest stored in place of a token or used to find a target."""
    return hashlib.sha256(value.encode()).hexdigest()


def alias(target_digest: str) -> str:
    """A short pseudonym of a subscriber for logs (never the address itself)."""
    return f"sub-{target_digest[:10]}"


def signature(secret: str, *, timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``, the value of X-Monitor-Signature."""
    return f"t={timestamp},{sign(secret.encode(), timestamp=str(timestamp), body=body)}"


def idempotency_key(subscription_id: int, event_key: str) -> str:
    """The same on every attempt of one message, so a receiver applies it once."""
    return digest(f"{subscription_id}:{event_key}")[:32]
