"""Delivery survives restarts, crashes and Slack failures: nothing lost, nothing doubled."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.notify.base import Message, MessageKind
from monitor.notify.slack import SlackNotifier, slack_client
from monitor.services.dispatch import LEASE
from tests.integration.comms.conftest import CommsHarness, comms_settings
from tests.integration.pipeline.conftest import Clock, TestClient, event
from tests.support.slack_server import SlackServer

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _keys_posted(slack: SlackServer) -> Counter[str]:
    return Counter(
        str(c.params["metadata"]["event_payload"]["key"])
        for c in slack.api_calls("chat.postMessage")
        if c.status == 200
    )


def _runtime(database_url: str, tmp_path: Path, slack: SlackServer, clock: Clock) -> CommsHarness:
    runtime = build_runtime(comms_settings(database_url, tmp_path, slack), clock=clock)
    client = TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False)
    return CommsHarness(runtime, client, clock, slack)


def test_a_restart_between_planning_and_sending_loses_and_repeats_nothing(
    database_url: str, tmp_path: Path, slack: SlackServer
) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    first = _runtime(database_url, tmp_path, slack, clock)
    first.post_events([event("LedgerDown", started=T0, component="ledger")])
    first.runtime.pipeline.process_pending(now=clock())  # planned, not sent
    first.runtime.close()  # the process dies here
    assert slack.calls == []

    second = _runtime(database_url, tmp_path, slack, clock)
    second.process()
    second.process()
    posted = _keys_posted(slack)
    assert posted
    assert set(posted.values()) == {1}
    assert {c[1] for c in slack.conversation()} == {"#banking", "#banking-oncall"}
    second.runtime.close()


def test_a_crash_after_sending_and_before_recording_is_not_posted_twice(
    database_url: str, tmp_path: Path, slack: SlackServer
) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    first = _runtime(database_url, tmp_path, slack, clock)
    first.post_events([event("LedgerDown", started=T0, component="ledger")])
    first.runtime.pipeline.process_pending(now=clock())
    claimed = first.runtime.dispatcher.claim_due()
    head = next(i for i in claimed if i.channel == "#banking" and i.action.value == "slack_post")
    # The dispatcher posts, then dies before recording the answer.
    SlackNotifier(slack_client(token="xoxb-test", base_url=slack.base_url)).send(
        Message(key=head.key, kind=MessageKind.POST, channel="#banking", text="posted")
    )
    first.runtime.close()

    clock.advance(seconds=LEASE.total_seconds() + 1)
    second = _runtime(database_url, tmp_path, slack, clock)
    second.process()
    second.process()
    assert _keys_posted(slack)[head.key] == 1
    assert slack.api_calls("conversations.history")  # it looked before posting again
    (incident,) = second.incidents()
    with second.runtime.store.unit_of_work() as uow:
        row = uow.outbox.by_key(head.key)
        thread = uow.outbox.thread(incident["id"], "#banking")
    assert row is not None
    assert row.status.value == "sent"
    assert thread is not None
    assert thread.ts == row.result["ts"]
    # Later posts in #banking went into the recovered thread.
    replies = [c for c in slack.conversation() if c[1] == "#banking" and c[2] == "thread"]
    assert replies
    second.runtime.close()


def test_slack_rate_limits_and_errors_delay_delivery_but_deliver_once(
    comms: CommsHarness,
) -> None:
    comms.clock.now = T0 + timedelta(minutes=1)
    comms.slack.fail("chat.postMessage", status=429, retry_after=0)
    comms.slack.fail("chat.postMessage", status=500, times=2)
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    statuses = [c.status for c in comms.slack.api_calls("chat.postMessage")]
    # the client retried the 429 itself; after the 500 the round's other
    # messages wait for the retry instead of overtaking the one that failed
    assert statuses == [429, 500]
    for _ in range(6):
        comms.clock.advance(seconds=30)
        comms.process()
    posted = _keys_posted(comms.slack)
    (incident,) = comms.incidents()
    planned = [
        i.key for i in comms.outbox(incident["id"]) if i.action.value in ("slack_post", "page")
    ]
    assert sorted(posted) == sorted(planned)
    assert set(posted.values()) == {1}
    timeline = comms.incident(incident["id"])["timeline"]
    assert any("failed, retrying (Slack answered internal_error)" in e["summary"] for e in timeline)


def test_an_answer_broken_off_after_a_post_is_retried_before_the_lease_and_not_posted_twice(
    comms: CommsHarness,
) -> None:
    comms.clock.now = T0 + timedelta(minutes=1)
    comms.slack.cut("chat.postMessage")  # posted, but the answer never arrives whole
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    (incident,) = comms.incidents()
    cut = comms.slack.api_calls("chat.postMessage")[0]
    cut_key = str(cut.params["metadata"]["event_payload"]["key"])
    # retried after the first back-off, well before a lost dispatcher's lease runs out
    for _ in range(3):
        comms.clock.advance(seconds=20)
        comms.process()
    assert comms.clock() - (T0 + timedelta(minutes=1)) < LEASE
    rows = [i for i in comms.outbox(incident["id"]) if i.action.value in ("slack_post", "page")]
    assert {r.status.value for r in rows} == {"sent"}
    posted = _keys_posted(comms.slack)
    assert sorted(posted) == sorted(r.key for r in rows)
    assert posted[cut_key] == 1  # found by its key, not posted again
    assert comms.slack.api_calls("conversations.history")  # it looked before posting again


def test_escalation_and_repeat_timers_survive_a_restart_and_fire_once(
    database_url: str, tmp_path: Path, slack: SlackServer
) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    first = _runtime(database_url, tmp_path, slack, clock)
    first.post_events([event("LedgerDown", started=T0, component="ledger")])
    first.process()  # posted; the 15-minute escalation and the 30-minute update wait
    first.runtime.close()  # the process stops with both timers pending

    clock.advance(minutes=32)  # both are due while no process runs
    second = _runtime(database_url, tmp_path, slack, clock)
    second.process()
    second.process()
    second.runtime.close()
    third = _runtime(database_url, tmp_path, slack, clock)  # and a restart right after
    third.process()
    escalations = [c for c in slack.conversation() if c[1] == "#platform-oncall"]
    updates = [c for c in slack.conversation() if c[3].startswith("Update after")]
    assert len(escalations) == 1
    assert len(updates) == 1
    assert set(_keys_posted(slack).values()) == {1}
    third.runtime.close()
