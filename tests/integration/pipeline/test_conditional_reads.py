"""Every read carries an ETag; a caller that already holds the answer gets 304 and no body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.integration.pipeline.conftest import Harness, event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(harness: Harness) -> None:
    harness.clock.now = T0 + timedelta(minutes=2)


def test_an_unchanged_incident_answers_304_and_a_changed_one_a_new_etag(harness: Harness) -> None:
    harness.post_events([event("LedgerDown", started=T0, component="ledger")])
    harness.process()
    first = harness.client.get("/api/v1/incidents/1")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = harness.client.get("/api/v1/incidents/1", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    note = harness.client.patch("/api/v1/incidents/1", json={"by": "alice", "note": "on it"})
    assert note.status_code == 200
    changed = harness.client.get("/api/v1/incidents/1", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "on it" in changed.text


def test_lists_and_pages_carry_etags_and_metrics_never_do(harness: Harness) -> None:
    for path in ("/api/v1/incidents", "/api/v1/touchpoints", "/api/v1/components", "/"):
        answer = harness.client.get(path)
        assert answer.status_code == 200, path
        tag = answer.headers["etag"]
        assert harness.client.get(path, headers={"if-none-match": f'"x", {tag}'}).status_code == 304
    assert "etag" not in harness.client.get("/metrics").headers


def test_status_answers_if_modified_since_from_its_last_change(harness: Harness) -> None:
    harness.post_events([event("LedgerDown", started=T0, component="ledger")])
    harness.process()
    harness.client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]
    status = harness.client.get("/api/v1/status")
    modified = status.headers["last-modified"]
    later = format_datetime(T0 + timedelta(hours=1), usegmt=True)
    earlier = format_datetime(T0 - timedelta(hours=1), usegmt=True)
    assert (
        harness.client.get("/api/v1/status", headers={"if-modified-since": modified}).status_code
        == 304
    )
    assert (
        harness.client.get("/api/v1/status", headers={"if-modified-since": later}).status_code
        == 304
    )
    assert (
        harness.client.get("/api/v1/status", headers={"if-modified-since": earlier}).status_code
        == 200
    )
    # If-None-Match decides when both are sent
    stale_tag = {"if-none-match": '"old"', "if-modified-since": later}
    assert harness.client.get("/api/v1/status", headers=stale_tag).status_code == 200
