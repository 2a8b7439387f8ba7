"""The payments playbook, driven through the API, produces the expected Slack conversation."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import EventKind
from tests.integration.comms.conftest import WEBHOOK_SECRET, CommsHarness
from tests.integration.pipeline.conftest import event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_at_the_start(comms: CommsHarness) -> None:
    comms.clock.now = T0 + timedelta(minutes=1)


def _open_card_outage(comms: CommsHarness) -> int:
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    (incident,) = comms.incidents()
    assert incident["touchpoints"]["transfers"] == "major_outage"
    return int(incident["id"])


def test_an_outage_posts_one_head_message_per_channel_then_threads(comms: CommsHarness) -> None:
    incident_id = _open_card_outage(comms)
    conversation = comms.slack.conversation()
    heads = [(m, c) for m, c, thread, _ in conversation if m == "chat.postMessage" and not thread]
    assert heads == [("chat.postMessage", "#banking"), ("chat.postMessage", "#banking-oncall")]
    assert conversation[0][3].startswith(":rotating_light: Transfers is failing (sev1)")
    assert "estimate pending" in conversation[0][3]
    assert conversation[1][3].startswith("<!here> Transfers down")
    drafts = [c for c in conversation if c[2] == "thread" and "draft" in c[3]]
    assert [d[1] for d in drafts] == ["#banking"] * 3  # retail, business, premium
    head = comms.slack.api_calls("chat.postMessage")[0].params
    buttons = next(b for b in head["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == ["acknowledge", "escalate", "resolve"]
    assert {b["value"] for b in buttons} == {str(incident_id)}
    published = [e for e in comms.incident(incident_id)["timeline"] if e["kind"] == "public_update"]
    assert len(published) == 1  # on this monitor's own status page, not a webhook
    assert comms.slack.hook_calls("status-page") == []
    # Approval gates customer messages: nothing is published yet.
    assert comms.slack.hook_calls("customer-comms") == []
    timeline = comms.incident(incident_id)["timeline"]
    sent = [e for e in timeline if e["kind"] == "message_sent"]
    assert len(sent) == 5
    assert all(e["source"] == "playbook:card-payments-transfers" for e in sent)


def test_processing_again_repeats_nothing(comms: CommsHarness) -> None:
    _open_card_outage(comms)
    before = len(comms.slack.api_calls("chat.postMessage"))
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.clock.advance(seconds=40)
    comms.process()
    comms.process()
    assert len(comms.slack.api_calls("chat.postMessage")) == before


def test_an_approved_customer_message_is_published_once(comms: CommsHarness) -> None:
    incident_id = _open_card_outage(comms)
    draft = next(
        i
        for i in comms.outbox(incident_id)
        if i.action.value == "customer_message" and i.payload["segment"] == "premium"
    )
    assert draft.status.value == "awaiting_approval"
    answer = comms.click("approve_customer_message", draft.key, user="carol")
    assert "approved by carol" in answer["text"]
    comms.click("approve_customer_message", draft.key, user="dave")
    comms.process()
    comms.process()
    (published,) = comms.slack.hook_calls("customer-comms")
    body = json.loads(published.params["body"])
    assert body["segment"] == "premium"
    assert body["approved_by"] == "carol"
    assert body["en"].startswith("Dear valued Premier customer")
    assert "frais de découvert" in body["fr"]
    timeline = comms.incident(incident_id)["timeline"]
    assert any("carol approved the customer message" in e["summary"] for e in timeline)


def test_resolving_waives_fees_with_a_signed_call_and_closes_out(comms: CommsHarness) -> None:
    incident_id = _open_card_outage(comms)
    comms.clock.advance(minutes=20)
    comms.click("resolve", str(incident_id), user="bob")
    comms.process()
    (waiver,) = comms.slack.hook_calls("overdraft-fee-waiver")
    body = waiver.params["body"].encode()
    expected = hmac.new(
        WEBHOOK_SECRET.encode(),
        waiver.headers["x-monitor-timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert waiver.headers["x-monitor-signature"] == f"v1={expected}"
    assert waiver.headers["idempotency-key"].startswith(f"{incident_id}:card-payments-transfers:")
    assert json.loads(body)["reason"] == f"outage-{incident_id}"
    close_out = [c for c in comms.slack.conversation() if c[3].startswith(":white_check_mark:")]
    assert [(c[1], c[2]) for c in close_out] == [("#banking", "thread")]
    # the incident tells what its playbooks did, step by step
    steps = comms.incident(incident_id)["playbook_steps"]
    mine = [s for s in steps if s["playbook"] == "card-payments-transfers"]
    assert ("webhook", "sent") in {(s["action"], s["status"]) for s in mine}
    assert ("slack_post", "sent") in {(s["action"], s["status"]) for s in mine}
    # the close-out links the post-incident report, which the API serves
    report_url = close_out[0][3].rsplit("Post-incident report: ", 1)[1].split()[0]
    assert report_url.endswith(f"/api/v1/incidents/{incident_id}/report?format=html")
    path = report_url.split("://", 1)[1].split("/", 1)[1]
    assert comms.client.get(f"/{path}").status_code == 200
    timeline = comms.incident(incident_id)["timeline"]
    assert any("no customer ids available" in e["summary"] for e in timeline)
    # The escalation and repeat timers were cancelled: nothing more is said.
    calls = len(comms.slack.calls)
    comms.clock.advance(hours=2)
    comms.process()
    assert [c.method for c in comms.slack.calls[calls:]] in ([], ["chat.update"] * 2)


def test_head_message_is_edited_as_the_estimate_arrives_at_most_once_per_interval(
    comms: CommsHarness,
) -> None:
    incident_id = _open_card_outage(comms)

    def estimate(value: int) -> None:
        interval = {"estimate": value, "low": value - 100, "high": value + 100, "level": 0.9}
        with comms.runtime.store.unit_of_work() as uow:
            uow.incidents.add_event(
                incident_id,
                at=comms.clock.now,
                kind=EventKind.ESTIMATE_UPDATED,
                source="impact",
                summary="estimate",
                data={
                    "final": False,
                    "window": {"start": T0.isoformat(), "end": comms.clock.now.isoformat()},
                    "touchpoints": {"transfers": {"affected_customers": interval}},
                },
            )
            uow.commit()

    estimate(1200)
    comms.clock.advance(seconds=31)
    comms.process()
    updates = comms.slack.api_calls("chat.update")
    assert len(updates) == 2  # #banking and #banking-oncall
    assert "≈1,200 (1,100–1,300 at 90%)" in updates[0].params["text"]
    estimate(1500)
    comms.clock.advance(seconds=31)
    comms.process()
    assert len(comms.slack.api_calls("chat.update")) == 2  # within the edit interval
    comms.clock.advance(seconds=31)
    comms.process()
    updates = comms.slack.api_calls("chat.update")
    assert len(updates) == 4
    assert "≈1,500" in updates[-1].params["text"]
