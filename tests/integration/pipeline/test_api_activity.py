"""The API notes its requests for the worker, the status hot path included."""

from __future__ import annotations

from tests.integration.pipeline.conftest import Harness


def test_every_request_is_noted_and_ends(harness: Harness) -> None:
    activity = harness.runtime.worker.activity
    before = activity.started
    assert not activity.busy_since(before)
    for path in ("/api/v1/status", "/api/v1/incidents", "/healthz", "/no-such-page"):
        harness.client.get(path)
    assert activity.started == before + 4
    assert activity.running == 0
    assert activity.busy_since(before)
    assert not activity.busy_since(activity.started)


def test_a_request_that_fails_is_still_counted_as_ended(harness: Harness) -> None:
    activity = harness.runtime.worker.activity
    before = activity.started
    response = harness.client.post("/api/v1/ingest/events", content=b"{not json")
    assert response.status_code == 400
    assert (activity.started, activity.running) == (before + 1, 0)
