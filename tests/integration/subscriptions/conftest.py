"""A monitor with subscriptions, a real SMTP server on loopback and a webhook receiver.

The monitor sends e-mail with smtplib to an aiosmtpd server started for the
test, and webhooks to ``tests.support.processes.webhook_receiver``; the clock
is moved by hand and the worker turned by ``harness.process()``.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.settings import Settings
from tests.integration.pipeline.conftest import Clock, Harness, settings_for
from tests.support.processes import WebhookReceiver, free_port

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
BASE = "http://testserver"
LINK = re.compile(r"http://testserver(/api/v1/subscriptions/\w+\?token=[0-9a-f]+)")


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to ``address``, in arrival order."""
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free loopback port; yields its mailbox and port."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def subscription_settings(
    database_url: str, tmp_path: Path, *, smtp_port: int, **extra: Any
) -> Settings:
    """Settings of a test monitor that may post to loopback and mails through ``smtp_port``."""
    values: dict[str, Any] = {
        "smtp_port": smtp_port,
        "smtp_from": "status@northwind.example",
        "public_base_url": BASE,
        "subscription_allow_private_targets": True,
        "subscription_secret_key": "test-subscription-key",
        **extra,
    }
    return settings_for(database_url, tmp_path, **values)


@dataclass
class Subscribers:
    """The monitor under test with its mailbox and webhook receiver."""

    harness: Harness
    mailbox: Mailbox
    receiver: WebhookReceiver
    settings: Settings

    def process(self) -> None:
        self.harness.process()

    def at(self, **delta: float) -> None:
        """Move the clock to T0 plus ``delta`` and turn the worker."""
        self.harness.clock.now = T0
        self.harness.clock.advance(**delta)
        self.process()

    def post(self, **body: Any) -> Any:
        return self.harness.client.post("/api/v1/subscriptions", json=body)

    def email(self, address: str, **body: Any) -> None:
        """Subscribe ``address`` and confirm with the link of the confirmation mail."""
        answer = self.post(kind="email", target=address, **body)
        assert answer.status_code == 202, answer.text
        self.process()
        [confirmation] = self.mailbox.to(address)
        link = link_in(confirmation)
        assert "/confirm?" in link
        assert self.harness.client.get(link).status_code == 200

    def notices(self, address: str) -> list[EmailMessage]:
        """Mails to ``address`` other than the confirmation."""
        return [m for m in self.mailbox.to(address) if not m["Subject"].startswith("Confirm")]

    def declare(self, touchpoints: list[str]) -> int:
        answer = self.harness.client.post(
            "/api/v1/incidents",
            json={"title": "Card trouble", "declared_by": "ops", "touchpoints": touchpoints},
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def publish(self, incident_id: int, text: str) -> None:
        answer = self.harness.client.post(
            f"/api/v1/incidents/{incident_id}/updates",
            json={"by": "comms", "message_en": text, "message_fr": f"FR {text}"},
        )
        assert answer.status_code == 201, answer.text


def link_in(message: EmailMessage) -> str:
    """The path of the first monitor link in a mail's text."""
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found is not None, body.get_content()
    return found.group(1)


def build(
    database_url: str, tmp_path: Path, clock: Clock, *, smtp_port: int, **extra: Any
) -> tuple[Harness, Settings]:
    """A runtime and API client on the test database."""
    settings = subscription_settings(database_url, tmp_path, smtp_port=smtp_port, **extra)
    runtime = build_runtime(settings, clock=clock)
    client = TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False)
    return Harness(runtime, client, clock), settings


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Settings a test module wants on top of the defaults (override the fixture)."""
    return {}


@pytest.fixture
def subscribers(
    database_url: str,
    tmp_path: Path,
    mailbox: tuple[Mailbox, int],
    webhook_server: WebhookReceiver,
    extra_settings: dict[str, Any],
) -> Iterator[Subscribers]:
    """The monitor with subscriptions, its clock at T0."""
    clock = Clock(now=T0)
    harness, settings = build(database_url, tmp_path, clock, smtp_port=mailbox[1], **extra_settings)
    with harness.client:
        yield Subscribers(harness, mailbox[0], webhook_server, settings)
    harness.runtime.close()
