"""Slack refusing, hanging and answering errors, for real, in front of a running monitor.

The local Slack Web API server sits behind ``tests.support.tcp_proxy``, which
the test cuts (connections refused), hangs (accepted, never answered) and
restores, while the server itself answers 500 and 429 on demand. Ingestion,
processing and the status API must not wait for Slack; once it is back every
planned message arrives once, in the order it was planned.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.monitor_process import (
    REPO,
    alerts_processed,
    monitor,
    wait_until,
)
from tests.support.payloads import captured_payloads
from tests.support.slack_server import SlackServer, slack_server
from tests.support.tcp_proxy import tcp_proxy

pytestmark = pytest.mark.slow

SLACK_ACTIONS = ("slack_post", "page")


def _rows(database_url: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, incident_id, key, action, channel, status FROM outbox ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [dict(r._mapping) for r in rows]


def _posted_keys(slack: SlackServer) -> dict[str, list[str]]:
    """Keys of the messages Slack accepted, per channel name, in the order it took them."""
    names = {v: k for k, v in slack.channels.items()}
    found: dict[str, list[str]] = {}
    for channel_id, messages in slack.messages.items():
        for message in messages:
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key")
            if key:
                found.setdefault(names.get(channel_id, channel_id), []).append(str(key))
    return found


def _timed_post(url: str, body: bytes) -> tuple[int, float]:
    began = time.monotonic()
    response = httpx.post(f"{url}/api/v1/ingest/alertmanager", content=body, timeout=30)
    return response.status_code, time.monotonic() - began


def _timed_status(url: str) -> tuple[int, float]:
    began = time.monotonic()
    response = httpx.get(f"{url}/api/v1/status", timeout=30)
    return response.status_code, time.monotonic() - began


def _settled(database_url: str) -> bool:
    rows = _rows(database_url)
    slack_rows = [r for r in rows if r["action"] in SLACK_ACTIONS]
    return bool(slack_rows) and all(r["status"] not in ("pending", "sending") for r in slack_rows)


def test_slack_refusing_hanging_and_failing_delays_messages_but_sends_each_once_in_order(
    database_url: str, tmp_path: Path
) -> None:
    payloads = captured_payloads()
    with slack_server() as slack:
        slack_port = int(slack.url.rsplit(":", 1)[1])
        with tcp_proxy("127.0.0.1", slack_port) as proxy:
            env = {
                "MONITOR_PLAYBOOKS_DIR": str(REPO / "playbooks"),
                "MONITOR_SLACK_TOKEN": "xoxb-slack-outage",
                "MONITOR_SLACK_BASE_URL": f"http://127.0.0.1:{proxy.port}/api/",
                "MONITOR_SLACK_TIMEOUT_SECONDS": "2",
                "MONITOR_SLACK_EDIT_INTERVAL_SECONDS": "0",
                "MONITOR_NOTIFY_RETRY_FIRST_SECONDS": "1",
                "MONITOR_NOTIFY_RETRY_CAP_SECONDS": "4",
                "MONITOR_WEBHOOK_URLS": json.dumps(
                    {n: slack.hook_url(n) for n in ("overdraft-fee-waiver", "customer-comms")}
                ),
            }
            with monitor(database_url=database_url, data_dir=tmp_path, extra=env) as server:
                assert _timed_post(server.url, payloads["postgres-down-firing"])[0] == 200
                wait_until(lambda: bool(_posted_keys(slack)), what="the first Slack message")

                proxy.refuse()
                refused_post = _timed_post(server.url, payloads["card-auth-errors-payments"])
                refused_status = _timed_status(server.url)
                wait_until(
                    lambda: alerts_processed(server) == 2,
                    what="processing while Slack refuses",
                    alive=server,
                )

                proxy.hang()
                hung_post = _timed_post(server.url, payloads["rabbitmq-two-nodes-down"])
                hung_status = _timed_status(server.url)
                wait_until(
                    lambda: alerts_processed(server) == 4,
                    what="processing while Slack hangs",
                    alive=server,
                )
                pending = [
                    r
                    for r in _rows(database_url)
                    if r["action"] in SLACK_ACTIONS and r["status"] != "sent"
                ]

                slack.fail("chat.postMessage", status=500, times=2)
                slack.fail("chat.postMessage", status=429, times=1, retry_after=1)
                proxy.restore()
                wait_until(
                    lambda: _settled(database_url),
                    timeout=90,
                    what="every Slack message to be delivered",
                    alive=server,
                )

    print(
        f"\nSlack refused: ingest {refused_post[0]} in {refused_post[1]:.2f}s,"
        f" status {refused_status[0]} in {refused_status[1]:.2f}s;"
        f" Slack hung: ingest {hung_post[0]} in {hung_post[1]:.2f}s,"
        f" status {hung_status[0]} in {hung_status[1]:.2f}s;"
        f" {len(pending)} messages waited for Slack"
    )
    for code, seconds in (refused_post, refused_status, hung_post, hung_status):
        assert code == 200
        assert seconds < 2.0
    assert pending, "the outage held no message back: the test proved nothing"

    rows = [r for r in _rows(database_url) if r["action"] in SLACK_ACTIONS]
    assert {r["status"] for r in rows} <= {"sent", "skipped"}
    sent = [r for r in rows if r["status"] == "sent"]
    posted = _posted_keys(slack)
    every_post = [k for keys in posted.values() for k in keys]
    assert len(every_post) == len(set(every_post)), "a message was posted twice"
    assert sorted(every_post) == sorted(r["key"] for r in sent)
    # order is per conversation: an incident's messages in a channel (head, then its
    # thread); two incidents' messages in one channel may interleave
    for channel, keys in posted.items():
        for incident in {r["incident_id"] for r in sent if r["channel"] == channel}:
            planned = [
                r["key"] for r in sent if r["channel"] == channel and r["incident_id"] == incident
            ]
            delivered = [k for k in keys if k in set(planned)]
            assert delivered == planned, f"{channel}, incident {incident}: out of order"
    statuses = [c.status for c in slack.api_calls("chat.postMessage")]
    assert 500 in statuses
    assert 429 in statuses
