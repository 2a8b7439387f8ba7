"""Turning a delivery into a signed webhook call or an e-mail, and sending it once.

Every attempt of one message carries the same ``Idempotency-Key`` (webhooks)
or ``Message-ID`` (e-mail), so a receiver that sees a retry can drop it. The
senders never retry by themselves: they say whether trying again may help,
and ``deliver`` decides when.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.errors import InputError
from monitor.notify.base import Delivery
from monitor.services.subscriptions.keys import SIGNATURE_HEADER, Keys, idempotency_key, signature
from monitor.services.subscriptions.manage import check_public, confirm_url, unsubscribe_url
from monitor.settings import Settings

STATE_WORDS = {
    "operational": "operational",
    "degraded_performance": "degraded performance",
    "partial_outage": "partial outage",
    "major_outage": "major outage",
    "under_maintenance": "under maintenance",
}
EVENT_TYPES = {
    "confirmation": "subscription.confirm",
    "state": "touchpoint.state_changed",
    "update": "incident.updated",
    "maintenance": "maintenance.scheduled",
    "digest": "digest",
}


@dataclass(frozen=True)
class Outgoing:
    """One claimed delivery with what is needed to address it."""

    delivery_id: int
    subscription_id: int
    event_key: str
    attempt: int
    """Which attempt this is, counting from 1."""
    kind: str
    payload: Mapping[str, Any]
    channel: str
    """``email`` or ``webhook``."""
    target: str
    target_digest: str
    language: str
    secret_ref: str

    @property
    def idempotency_key(self) -> str:
        """The key every attempt of this message carries."""
        return idempotency_key(self.subscription_id, self.event_key)


def text_of(kind: str, payload: Mapping[str, Any], *, language: str) -> tuple[str, str]:
    """Subject and body of a notice, in the subscriber's language where the update has it."""
    if kind == "state":
        state = STATE_WORDS.get(str(payload.get("state")), str(payload.get("state")))
        subject = f"{payload.get('name')}: {state}"
        return subject, f"{payload.get('name')} is {state} since {payload.get('since')}."
    if kind == "update":
        words = str(payload.get(language) or payload.get("en") or "")
        title = "Resolved" if payload.get("resolved") else "Incident update"
        return f"{title}: {words[:80]}", words
    if kind == "maintenance":
        names = ", ".join(payload.get("names") or []) or "some services"
        body = (
            f"Planned maintenance: {payload.get('title')}\n"
            f"From {payload.get('starts_at')} to {payload.get('ends_at')}.\nAffects: {names}."
        )
        return f"Planned maintenance: {payload.get('title')}", body
    if kind == "digest":
        items = list(payload.get("items") or [])
        lines = [
            f"- {text_of(str(i.get('kind')), i, language=language)[0]}"
            for i in items
            if isinstance(i, Mapping)
        ]
        return f"{len(lines)} status updates", "\n".join(lines)
    return "Status update", json.dumps(dict(payload), sort_keys=True, default=str)


class Senders:
    """Sends a delivery over its channel: webhook via HTTP, e-mail via SMTP."""

    def __init__(self, *, settings: Settings, client: httpx.Client) -> None:
        self._settings = settings
        self._client = client
        self._keys = Keys.of(settings.subscription_secret_key)

    def send(self, item: Outgoing, *, now: datetime) -> Delivery:
        """Deliver ``item``; a failure says whether trying again may help."""
        if item.channel == "webhook":
            return self._webhook(item, now=now)
        return self._email(item, now=now)

    def _links(self, item: Outgoing) -> tuple[str, str]:
        return (
            confirm_url(self._settings, self._keys.confirm_token(item.secret_ref)),
            unsubscribe_url(self._settings, self._keys.unsubscribe_token(item.secret_ref)),
        )

    def _webhook(self, item: Outgoing, *, now: datetime) -> Delivery:
        confirm, leave = self._links(item)
        if not self._settings.subscription_allow_private_targets:
            parts = urlsplit(item.target)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                check_public(parts.hostname or "", port)
            except InputError as exc:
                return Delivery.failed(str(exc), retryable=False)
        data = dict(item.payload)
        if item.kind == "confirmation":
            data = {"confirm_url": confirm}
        body = json.dumps(
            {
                "id": item.idempotency_key,
                "type": EVENT_TYPES.get(item.kind, item.kind),
                "created_at": now.isoformat(),
                "data": data,
                "unsubscribe_url": leave,
            },
            sort_keys=True,
            default=str,
        ).encode()
        secret = self._keys.signing_secret(item.secret_ref)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": item.idempotency_key,
            SIGNATURE_HEADER: signature(secret, timestamp=int(now.timestamp()), body=body),
        }
        try:
            response = self._client.post(item.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery.failed(f"unreachable: {type(exc).__name__}", retryable=True)
        if response.is_success:
            return Delivery.done(status=response.status_code)
        retryable = response.status_code in (408, 429) or response.status_code >= 500
        return Delivery.failed(f"HTTP {response.status_code}", retryable=retryable)

    def _email(self, item: Outgoing, *, now: datetime) -> Delivery:
        confirm, leave = self._links(item)
        message = EmailMessage()
        sender = self._settings.smtp_from
        message["From"] = sender
        message["To"] = item.target
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{item.idempotency_key}@{sender.rpartition('@')[2] or 'monitor'}>"
        message["Auto-Submitted"] = "auto-generated"
        if item.kind == "confirmation":
            message["Subject"] = "Confirm your status subscription"
            message.set_content(
                "Someone, hopefully you, asked to receive status updates at this address.\n"
                f"Confirm by opening this link:\n{confirm}\n\n"
                "If it was not you, ignore this message: nothing more will be sent.\n"
            )
        else:
            subject, body = text_of(item.kind, item.payload, language=item.language)
            # Published words may span lines; a header may not.
            message["Subject"] = " ".join(subject.split())[:120]
            message["List-Unsubscribe"] = f"<{leave}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            message.set_content(f"{body}\n\n--\nUnsubscribe: {leave}\n")
        return self._smtp(message, to=item.target)

    def _smtp(self, message: EmailMessage, *, to: str) -> Delivery:
        settings = self._settings
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username and settings.smtp_password is not None:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                smtp.send_message(message, from_addr=settings.smtp_from, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return Delivery.failed(
                f"recipient refused ({', '.join(map(str, codes))})",
                retryable=all(code < 500 for code in codes),
            )
        except smtplib.SMTPResponseException as exc:
            return Delivery.failed(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery.failed(f"SMTP unavailable: {type(exc).__name__}", retryable=True)
        return Delivery.done()
