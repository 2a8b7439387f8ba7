"""Slack's requests are verified; buttons and /impact act on incidents."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.comms.conftest import CommsHarness
from tests.integration.pipeline.conftest import event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_at_the_start(comms: CommsHarness) -> None:
    comms.clock.now = T0 + timedelta(minutes=1)


@pytest.mark.parametrize("path", ["/api/v1/slack/interactions", "/api/v1/slack/commands"])
def test_forged_stale_or_unsigned_requests_get_401(comms: CommsHarness, path: str) -> None:
    form = {"text": "status", "payload": "{}"}
    stale = comms.clock.now.timestamp() - 301
    assert comms.signed(path, form, at=stale).status_code == 401
    forged = comms.signed(path, form)
    body = b"text=declare+everything+is+fine"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": forged.request.headers["X-Slack-Request-Timestamp"],
        "X-Slack-Signature": forged.request.headers["X-Slack-Signature"],
    }
    assert comms.client.post(path, content=body, headers=headers).status_code == 401
    assert comms.client.post(path, content=b"text=status").status_code == 401
    assert comms.signed(path, form, at=time.time() + 10**6).status_code == 401
    assert comms.incidents() == []


def test_impact_status_and_declare(comms: CommsHarness) -> None:
    answer = comms.signed("/api/v1/slack/commands", {"command": "/impact", "text": "status"})
    assert answer.json()["text"] == "No open incident."
    declared = comms.signed(
        "/api/v1/slack/commands",
        {
            "command": "/impact",
            "text": "declare payroll-monthly-run Salaries stuck",
            "user_name": "eve",
        },
    )
    assert declared.status_code == 200
    assert "declared: Salaries stuck" in declared.json()["text"]
    (incident,) = comms.incidents()
    assert incident["touchpoints"] == {"payroll-monthly-run": "major_outage"}
    status = comms.signed("/api/v1/slack/commands", {"command": "/impact", "text": "status"})
    assert "Salaries stuck" in status.json()["text"]
    comms.process()
    channels = {c[1] for c in comms.slack.conversation()}
    assert {"#payroll", "#payroll-oncall"} <= channels


def test_acknowledge_stops_escalation_and_repeats_continue_until_resolved(
    comms: CommsHarness,
) -> None:
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    (incident,) = comms.incidents()
    incident_id = incident["id"]
    comms.clock.advance(minutes=16)
    comms.process()
    escalations = [c for c in comms.slack.conversation() if c[1] == "#platform-oncall"]
    assert len(escalations) == 1
    assert "has not been acknowledged after 15 minutes" in escalations[0][3]
    comms.click("acknowledge", str(incident_id), user="alice")
    assert comms.incident(incident_id)["acknowledged_by"] == "alice"
    comms.clock.advance(minutes=15)  # 31 minutes in: the first 30-minute update
    comms.process()
    updates = [c for c in comms.slack.conversation() if c[3].startswith("Update after")]
    assert [(c[1], c[2]) for c in updates] == [("#banking", "thread")]
    comms.clock.advance(minutes=30)
    comms.process()
    updates = [c for c in comms.slack.conversation() if c[3].startswith("Update after")]
    assert len(updates) == 2
    comms.click("resolve", str(incident_id))
    comms.clock.advance(hours=3)
    comms.process()
    comms.process()
    updates = [c for c in comms.slack.conversation() if c[3].startswith("Update after")]
    assert len(updates) == 2


def test_unmapped_alerts_get_a_line_in_the_head_message(comms: CommsHarness) -> None:
    comms.post_events([event("DiskAlmostFull", started=T0, host="build-7")])
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    head = comms.slack.api_calls("chat.postMessage")[0].params
    context = next(b for b in head["blocks"] if b["type"] == "context")
    texts = [e["text"] for e in context["elements"]]
    assert "1 alert not in the catalog: DiskAlmostFull" in texts
    platform = [c for c in comms.slack.conversation() if c[1] == "#platform"]
    assert platform  # the generic playbook took the unmapped incident
    assert "1 alert not in the catalog: DiskAlmostFull" in platform[0][3]
    json.dumps(head)  # what Slack received is plain JSON
