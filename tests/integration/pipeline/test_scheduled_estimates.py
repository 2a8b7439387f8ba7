"""The scheduler re-estimates open incidents on an interval and once more at resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.pipeline.conftest import Harness, event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _estimates(harness: Harness, incident_id: int) -> list[dict[str, object]]:
    timeline = harness.incident(incident_id)["timeline"]
    return [e["data"] for e in timeline if e["kind"] == "estimate_updated"]


def test_open_incidents_are_estimated_on_schedule_and_finally_at_resolution(
    harness: Harness,
) -> None:
    harness.clock.now = T0 + timedelta(minutes=5)
    harness.post_events([event("CardAuthDown", started=T0, component="card-auth")])
    harness.process()
    scheduler = harness.runtime.scheduler
    assert scheduler.estimate_once() == 1
    [live] = _estimates(harness, 1)
    assert live["final"] is False
    assert set(live["touchpoints"]) == {"card-payments", "flight-booking"}  # type: ignore[arg-type]
    # not due again until the interval has passed
    assert scheduler.estimate_once() == 0
    harness.clock.advance(seconds=harness.runtime.settings.estimate_interval_seconds)
    assert scheduler.estimate_once() == 1
    resolve = harness.client.patch("/api/v1/incidents/1", json={"by": "ops", "state": "resolved"})
    assert resolve.status_code == 200
    harness.clock.advance(minutes=1)
    assert scheduler.estimate_once() == 1
    estimates = _estimates(harness, 1)
    assert [e["final"] for e in estimates] == [False, False, True]
    # the same series, ready to draw, beside the timeline
    series = harness.incident(1)["estimates"]
    assert [p["final"] for p in series] == [False, False, True]
    assert [p["touchpoints"] for p in series] == [e["touchpoints"] for e in estimates]
    assert scheduler.estimate_once() == 0  # the final figure is computed once
    card = estimates[-1]["touchpoints"]["card-payments"]  # type: ignore[index]
    # no data source configured: the figure is unknown, never a silent zero
    assert card["affected_customers"] is None  # type: ignore[index]
    assert any("no Prometheus configured" in q for q in card["quality"])  # type: ignore[index]
    harness.client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]
