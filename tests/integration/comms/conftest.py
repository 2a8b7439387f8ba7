"""A monitor runtime with the shipped playbooks, talking to the local Slack server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.store.repositories.outbox import OutboxItem
from tests.conftest import REPO
from tests.integration.pipeline.conftest import Clock, Harness, TestClient, settings_for
from tests.support.slack_server import SlackServer

SIGNING_SECRET = "slack-signing-secret"
WEBHOOK_SECRET = "webhook-signing-secret"
HOOKS = ("overdraft-fee-waiver", "customer-comms", "status-page")


@dataclass
class CommsHarness(Harness):
    """The harness plus the Slack server and ways to act as Slack would."""

    slack: SlackServer

    def signed(self, path: str, form: dict[str, str], *, at: float | None = None) -> Any:
        body = urlencode(form).encode()
        timestamp = str(int(at if at is not None else self.clock.now.timestamp()))
        digest = hmac.new(
            SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        return self.client.post(
            path,
            content=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": f"v0={digest}",
            },
        )

    def click(self, action_id: str, value: str, *, user: str = "alice") -> Any:
        payload = {
            "type": "block_actions",
            "user": {"id": "U1", "username": user},
            "actions": [{"action_id": action_id, "value": value}],
        }
        response = self.signed("/api/v1/slack/interactions", {"payload": json.dumps(payload)})
        assert response.status_code == 200, response.text
        return response.json()

    def outbox(self, incident_id: int) -> list[OutboxItem]:
        with self.runtime.store.unit_of_work() as uow:
            return uow.outbox.of_incident(incident_id)


def comms_settings(database_url: str, tmp_path: Path, slack: SlackServer, **extra: Any) -> Any:
    """Settings with the shipped playbooks, Slack on the local server and recorded webhooks."""
    values: dict[str, Any] = {
        "playbooks_dir": REPO / "playbooks",
        "slack_token": "xoxb-test",
        "slack_base_url": slack.base_url,
        "slack_signing_secret": SIGNING_SECRET,
        "webhook_signing_secret": WEBHOOK_SECRET,
        "webhook_urls": {name: slack.hook_url(name) for name in HOOKS},
        "slack_edit_interval_seconds": 60,
        **extra,
    }
    return settings_for(database_url, tmp_path, **values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def comms(
    database_url: str, tmp_path: Path, clock: Clock, slack: SlackServer
) -> Iterator[CommsHarness]:
    runtime = build_runtime(comms_settings(database_url, tmp_path, slack), clock=clock)
    app = create_app(runtime, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield CommsHarness(runtime, client, clock, slack)
    runtime.close()


def wall_clock() -> float:
    """Real time, for Slack signatures checked against the real clock."""
    return time.time()
