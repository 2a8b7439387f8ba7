"""Notifiers and the stages around them: retry timing, deduplication, signatures, exports."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from monitor.api.routes_slack import verify_slack_signature
from monitor.notify import Dedup, Delivery, Message, Retry, RetryPolicy, Send
from monitor.notify.base import MessageKind
from monitor.notify.export import export_customer_ids
from monitor.notify.sink import SinkNotifier
from monitor.notify.webhook import WebhookNotifier, sign

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
MESSAGE = Message(key="1:pb:steps.0:0", kind=MessageKind.POST, channel="#ops", text="hi")


class Scripted:
    """A notifier answering from a list, counting sends."""

    def __init__(self, *answers: Delivery) -> None:
        self.answers = list(answers)
        self.sent = 0

    def send(self, message: Message) -> Delivery:
        self.sent += 1
        return self.answers.pop(0)

    def find(self, message: Message) -> Delivery | None:
        return Delivery.done(ts="earlier") if message.key == MESSAGE.key else None


def test_retry_says_when_with_exponential_back_off_and_gives_up() -> None:
    policy = RetryPolicy(first=timedelta(seconds=10), cap=timedelta(seconds=25), attempts=3)
    failing = Scripted(*[Delivery.failed("down", retryable=True)] * 3)
    stage = Retry(Send(failing), policy=policy, clock=lambda: NOW)
    assert stage.deliver(MESSAGE, attempt=1).retry_at == NOW + timedelta(seconds=10)
    assert stage.deliver(MESSAGE, attempt=2).retry_at == NOW + timedelta(seconds=20)
    assert stage.deliver(MESSAGE, attempt=3).retry_at is None


def test_a_permanent_failure_is_not_retried() -> None:
    stage = Retry(
        Send(Scripted(Delivery.failed("no", retryable=False))),
        policy=RetryPolicy(),
        clock=lambda: NOW,
    )
    assert stage.deliver(MESSAGE, attempt=1).retry_at is None


def test_dedup_asks_the_channel_only_on_a_later_attempt() -> None:
    notifier = Scripted(Delivery.done(ts="new"))
    stage = Dedup(Send(notifier), notifier)
    found = stage.deliver(MESSAGE, attempt=2)
    assert found.deduplicated
    assert found.ref["ts"] == "earlier"
    assert notifier.sent == 0
    assert stage.deliver(MESSAGE, attempt=1).ref["ts"] == "new"


def test_webhooks_are_signed_with_an_idempotency_key_and_classify_failures() -> None:
    seen: list[httpx.Request] = []
    statuses = iter([200, 503, 404])

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(statuses))

    notifier = WebhookNotifier(
        urls={"crm": "https://crm.example/hook"},
        secret=b"s3cret",
        timeout_seconds=1,
        fallback=SinkNotifier(stream=io.StringIO()),
        transport=httpx.MockTransport(answer),
    )
    call = Message(key="k1", kind=MessageKind.CALL, target="crm", body={"a": 1})
    assert notifier.send(call).ok
    assert notifier.send(call).retryable
    assert not notifier.send(call).retryable
    request = seen[0]
    timestamp = request.headers["x-monitor-timestamp"]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.content, hashlib.sha256)
    assert request.headers["x-monitor-signature"] == "v1=" + expected.hexdigest()
    assert request.headers["x-monitor-signature"] == sign(
        b"s3cret", timestamp=timestamp, body=request.content
    )
    assert {r.headers["idempotency-key"] for r in seen} == {"k1"}


def test_an_unconfigured_webhook_goes_to_the_sink() -> None:
    stream = io.StringIO()
    notifier = WebhookNotifier(
        urls={}, secret=None, timeout_seconds=1, fallback=SinkNotifier(stream=stream)
    )
    delivery = notifier.send(
        Message(key="k", kind=MessageKind.CALL, target="refunds", body={"x": 1})
    )
    assert delivery.ok
    assert json.loads(stream.getvalue()) == {"call": "refunds", "key": "k", "body": {"x": 1}}


def test_slack_signatures_are_checked_with_a_five_minute_window() -> None:
    body = b"text=status"
    ts = str(int(NOW.timestamp()))
    good = "v0=" + hmac.new(b"secret", f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    check = {"secret": b"secret", "timestamp": ts, "body": body}
    assert verify_slack_signature(signature=good, now=NOW + timedelta(seconds=299), **check)
    assert not verify_slack_signature(signature=good, now=NOW + timedelta(seconds=301), **check)
    assert not verify_slack_signature(signature=good.replace("v0=", "v0=0"), now=NOW, **check)
    assert not verify_slack_signature(
        signature=good, now=NOW, secret=b"other", timestamp=ts, body=body
    )
    assert not verify_slack_signature(
        signature=good, now=NOW, secret=b"secret", timestamp="x", body=body
    )


def test_customer_ids_go_to_an_owner_only_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE failures (customer_id TEXT, at TEXT)"))
        connection.execute(
            text(
                "INSERT INTO failures VALUES ('c1', '2026-11-25 17:10'), "
                "('c2', '2026-11-25 17:20'), ('c1', '2026-11-25 17:30'), "
                "('c9', '2026-11-25 19:00')"
            )
        )
    engine.dispose()
    sql = "SELECT customer_id FROM failures WHERE at >= :start AND at < :end"
    result = export_customer_ids(
        key="1:pb:on_resolve.1:0",
        directory=tmp_path / "exports",
        database_url=url,
        queries={"transfers": sql},
        touchpoints=["transfers"],
        start="2026-11-25 17:00",  # type: ignore[arg-type]
        end="2026-11-25 18:00",  # type: ignore[arg-type]
    )
    assert result.count == 2
    assert result.path is not None
    assert result.path.read_text() == "c1\nc2\n"
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert "c1" not in result.note


@pytest.mark.parametrize("queries", [{}, {"other": "SELECT 1"}])
def test_without_a_query_or_database_there_are_no_ids(
    tmp_path: Path, queries: dict[str, str]
) -> None:
    result = export_customer_ids(
        key="k",
        directory=tmp_path,
        database_url=None if not queries else "sqlite://",
        queries=queries,
        touchpoints=["transfers"],
        start=NOW,
        end=NOW,
    )
    assert result.path is None
    assert result.note == "no customer ids available"
