"""The closed loop: a low score from a customer an incident hurt calls support, team and CRM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.services.signals import pseudonym_key
from monitor.signals import pseudonymise
from tests.integration.comms.conftest import HOOKS, CommsHarness, comms_settings
from tests.integration.pipeline.conftest import Clock, TestClient, event
from tests.integration.signals.conftest import Complaints, Replay, post_signals, watching_since
from tests.support.slack_server import SlackServer

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FOLLOW_UP = ("support-follow-up", "team-tickets", "crm-notes")


@pytest.fixture
def loop(
    database_url: str, tmp_path: Path, clock: Clock, slack: SlackServer
) -> Iterator[CommsHarness]:
    urls = {name: slack.hook_url(name) for name in (*HOOKS, *FOLLOW_UP)}
    settings = comms_settings(database_url, tmp_path, slack, webhook_urls=urls)
    runtime = build_runtime(settings, clock=clock)
    with TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False) as c:
        yield CommsHarness(runtime, c, clock, slack)
    runtime.close()


def survey(
    at: datetime, customer: str, score: int, kind: str = "nps", touchpoint: str = "card-payments"
) -> dict[str, Any]:
    return {
        "source": "survey",
        "time": at.isoformat(),
        "channel": "email",
        "touchpoint": touchpoint,
        "score": score,
        "score_kind": kind,
        "customer": customer,
    }


def complaint(at: datetime, customer: str) -> dict[str, Any]:
    return {
        "source": "zendesk",
        "time": at.isoformat(),
        "channel": "chat",
        "text": "Card declined again!!",
        "customer": customer,
    }


def run_for(harness: CommsHarness, minutes: int) -> None:
    for _ in range(minutes):
        harness.clock.advance(minutes=1)
        harness.process()


def body(call: Any) -> dict[str, Any]:
    """The JSON body a webhook receiver got."""
    found: dict[str, Any] = json.loads(call.params["body"])
    return found


def ref(harness: CommsHarness, customer: str) -> str:
    return pseudonymise(customer, key=pseudonym_key(harness.runtime.settings))


def test_only_a_low_score_from_an_affected_customer_calls_the_follow_up_webhooks(
    loop: CommsHarness,
) -> None:
    loop.clock.now = NOW
    loop.post_events([event("CardNetworkDown", started=NOW, service="card-network-gateway")])
    loop.process()
    [incident] = loop.incidents()
    post_signals(loop, [complaint(NOW + timedelta(minutes=2), c) for c in ("C077", "C078")])
    run_for(loop, 5)
    assert all(loop.slack.hook_calls(name) == [] for name in FOLLOW_UP)

    at = loop.clock.now
    post_signals(
        loop,
        [
            survey(at, "C077", 2),  # affected, low: followed up
            survey(at, "C078", 9),  # affected, happy
            # low, but about a touchpoint the incident does not cover, from a customer
            # who never complained: nothing ties them to the incident
            survey(at, "C999", 1, touchpoint="mobile-login"),
            survey(at, "C078", 5, kind="csat"),
        ],
    )
    run_for(loop, 3)

    calls = {name: loop.slack.hook_calls(name) for name in FOLLOW_UP}
    assert [len(c) for c in calls.values()] == [1, 1, 1]
    support = body(calls["support-follow-up"][0])
    assert support["incident_id"] == incident["id"]
    assert support["customer_ref"] == ref(loop, "C077")
    assert support["score"] == "nps 2"
    assert support["touchpoint"] == "Card payments"
    assert body(calls["team-tickets"][0])["team"] == "payments"
    assert body(calls["crm-notes"][0])["customer_ref"] == ref(loop, "C077")
    assert "C077" not in str(calls)
    # the head message counts what customers said: two complained, one low score
    edits = loop.slack.api_calls("chat.update")
    assert edits, "the head message was not refreshed"
    assert "2 customers complained (2 messages), 1 low score" in edits[-1].params["text"]
    run_for(loop, 2)
    again = {name: len(loop.slack.hook_calls(name)) for name in FOLLOW_UP}
    assert again == dict.fromkeys(FOLLOW_UP, 1), "each score is followed up once"


def test_a_score_given_hours_after_the_incident_resolved_is_still_followed_up(
    loop: CommsHarness,
) -> None:
    loop.clock.now = NOW
    firing = event("CardNetworkDown", started=NOW, service="card-network-gateway")
    loop.post_events([firing])
    loop.process()
    [incident] = loop.incidents()
    post_signals(loop, [complaint(NOW + timedelta(minutes=3), "C100")])
    run_for(loop, 5)
    ended = NOW + timedelta(minutes=20)
    loop.post_events([{**firing, "status": "resolved", "ended_at": ended.isoformat()}])
    loop.clock.advance(hours=2)
    loop.process()
    assert loop.incident(incident["id"])["state"] == "resolved"
    post_signals(loop, [survey(loop.clock.now, "C100", 2, kind="csat")])
    run_for(loop, 3)
    [call] = loop.slack.hook_calls("support-follow-up")
    assert body(call)["customer_ref"] == ref(loop, "C100")
    assert body(call)["score"] == "csat 2"
    assert len(loop.slack.hook_calls("crm-notes")) == 1


def test_the_simulated_customers_close_the_loop_and_score_in_the_estimate(
    loop: CommsHarness, card_outage: Complaints
) -> None:
    fault = NOW
    watching_since(loop, fault - timedelta(days=29))
    loop.clock.now = fault
    loop.post_events([event("CardNetworkDown", started=fault, service="card-network-gateway")])
    loop.process()
    [incident] = loop.incidents()
    replay = Replay(loop, card_outage, shift=fault - card_outage.fault_at, surveys=True)
    replay.until(fault + timedelta(minutes=60))
    replay.step = timedelta(minutes=5)
    replay.until(fault + timedelta(hours=3))  # the end of the simulated history

    assert [i["id"] for i in loop.incidents()] == [incident["id"]], (
        "late survey answers opened no incident of their own"
    )
    assert card_outage.truth is not None
    cell = card_outage.truth["card-payments"]
    complained = {ref(loop, c) for c in cell["complained"]}
    calls = loop.slack.hook_calls("support-follow-up")
    assert calls, "no affected customer's low score was followed up"
    followed = {body(c)["customer_ref"] for c in calls}
    assert followed <= complained, "only customers the incident is known to have hurt"
    assert len(followed) == len(calls)
    # the estimate records what customers said beside its own figures
    assert loop.runtime.scheduler.estimate_once() == 1
    timeline = loop.incident(incident["id"])["timeline"]
    [estimate] = [e["data"] for e in timeline if e["kind"] == "estimate_updated"]
    card = estimate["signals"]["by_touchpoint"]["card-payments"]
    assert card["customers"] >= 3
    assert card["low_scores"] == len(calls)
    assert estimate["signals"]["complaints"] >= card["complaints"] >= card["customers"]
