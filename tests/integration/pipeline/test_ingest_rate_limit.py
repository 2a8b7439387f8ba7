"""Ingest is limited per credential: a burst over the limit gets 429s, nothing accepted is lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from httpx import Response

from monitor.api import create_app
from monitor.bootstrap import Runtime, build_runtime
from monitor.services.tokens import create_token
from tests.integration.pipeline.conftest import Clock, TestClient, event, settings_for
from tests.support.payloads import captured_payloads

RATE, BURST = 1.0, 3
FIRING = captured_payloads()["postgres-down-firing"]


@dataclass
class Limited:
    runtime: Runtime
    client: TestClient
    clock: Clock
    tokens: list[dict[str, str]]

    def post(self, n: int, *, who: int = 0) -> Response:
        """Alternate the three ingest endpoints, which share the credential's bucket."""
        headers = self.tokens[who]
        if n % 3 == 0:
            body = {"events": [event(f"Burst{n}", started=self.clock.now, service="postgres")]}
            return self.client.post("/api/v1/ingest/events", json=body, headers=headers)
        if n % 3 == 1:
            return self.client.post(
                "/api/v1/ingest/alertmanager",
                content=FIRING,
                headers={**headers, "content-type": "application/json"},
            )
        signal = {
            "source": "helpdesk",
            "channel": "phone",
            "time": _iso(self.clock),
            "text": "my card was declined",
            "touchpoint": "card-payments",
        }
        return self.client.post("/api/v1/signals", json=signal, headers=headers)

    def inbox_ids(self) -> set[int]:
        with self.runtime.store.unit_of_work() as uow:
            return {b.id for b in uow.inbox.pending(limit=1000)}


def _iso(clock: Clock) -> str:
    return clock.now.isoformat()


@pytest.fixture
def limited(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Limited]:
    settings = settings_for(
        database_url,
        tmp_path,
        require_auth=True,
        ingest_rate_per_second=RATE,
        ingest_burst=BURST,
    )
    runtime = build_runtime(settings, clock=clock)
    tokens = []
    for name in ("alertmanager-eu", "alertmanager-us"):
        token, _ = create_token(
            runtime.store, name=name, scopes=["ingest"], actor="cli:test", now=clock.now
        )
        tokens.append({"authorization": f"Bearer {token}"})
    with TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False) as c:
        yield Limited(runtime, c, clock, tokens)
    runtime.close()


def test_a_burst_over_the_limit_gets_429s_and_every_accepted_delivery_is_kept(
    limited: Limited,
) -> None:
    answers = [limited.post(n) for n in range(10)]
    accepted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(accepted) + len(refused) == len(answers), [a.text for a in answers]
    # the burst, plus at most what refilled while the requests ran
    assert BURST <= len(accepted) <= BURST + 2
    assert refused
    for answer in refused:
        assert int(answer.headers["retry-after"]) >= 1
        error = answer.json()["error"]
        assert error["code"] == "rate_limited"
        assert "retry" in error["message"]
        assert error["retry_after_seconds"] == int(answer.headers["retry-after"])
    batches = {a.json()["batch_id"] for a in accepted if "batch_id" in a.json()}
    assert batches
    assert batches <= limited.inbox_ids()
    with limited.runtime.store.unit_of_work() as uow:
        assert uow.inbox.backlog() == len(batches)  # nothing refused was half-accepted
    metrics = limited.client.get("/metrics").text
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("monitor_ingest_rate_limited_total{")
    )
    assert counted == len(refused)


def test_after_waiting_retry_after_the_next_request_is_accepted(limited: Limited) -> None:
    answers = [limited.post(0) for _ in range(BURST + 2)]
    last = answers[-1]
    assert last.status_code == 429
    time.sleep(int(last.headers["retry-after"]))
    again = limited.post(0)
    assert again.status_code == 200, again.text
    assert again.json()["batch_id"] in limited.inbox_ids()


def test_each_token_has_its_own_bucket(limited: Limited) -> None:
    while limited.post(0).status_code == 200:
        pass
    other = limited.post(0, who=1)
    assert other.status_code == 200, other.text


def test_a_bad_token_is_refused_before_the_limit_counts(limited: Limited) -> None:
    headers = {"authorization": "Bearer mon_not-a-token"}
    for _ in range(BURST + 2):
        body = {"events": [event("X", started=limited.clock.now, service="postgres")]}
        answer = limited.client.post("/api/v1/ingest/events", json=body, headers=headers)
        assert answer.status_code == 401
    assert limited.post(0).status_code == 200
