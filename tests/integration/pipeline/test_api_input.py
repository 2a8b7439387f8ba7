"""Bad input gets a clear 4xx, is kept for inspection, and never costs the good part of a batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from tests.integration.pipeline.conftest import Harness, event, settings_for
from tests.support.payloads import captured_payloads

FIRING = json.loads(captured_payloads()["postgres-down-firing"])


def _post(harness: Harness, body: bytes, path: str = "/api/v1/ingest/alertmanager") -> object:
    return harness.client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "JSON"),
        (b"[]", "object"),
        (json.dumps({**FIRING, "version": "3"}).encode(), "version"),
        (json.dumps({k: v for k, v in FIRING.items() if k != "alerts"}).encode(), "alerts"),
    ],
)
def test_a_malformed_envelope_is_a_400_that_says_what_is_wrong_and_is_kept(
    harness: Harness, body: bytes, needle: str
) -> None:
    response = _post(harness, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert needle.lower() in error["message"].lower()
    kept = harness.client.get("/api/v1/rejected").json()
    assert kept[0]["id"] == error["rejected_payload_id"]
    assert kept[0]["body_preview"] == body.decode()


def test_bad_alerts_are_refused_one_by_one_and_the_rest_is_accepted(harness: Harness) -> None:
    good = FIRING["alerts"][0]
    absurd = {**good, "startsAt": "1970-01-01T00:00:00Z", "fingerprint": "0000000000000001"}
    missing = {k: v for k, v in good.items() if k != "labels"}
    body = json.dumps({**FIRING, "alerts": [absurd, good, missing]}).encode()
    response = _post(harness, body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [0, 2]
    assert "startsAt" in answer["rejected"][0]["reason"]
    assert "labels" in answer["rejected"][1]["reason"]
    assert answer["rejected_payload_id"] is not None
    harness.clock.now = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert harness.process() == 1
    assert len(harness.incidents()) == 1


def test_a_batch_with_no_valid_alert_is_a_422_listing_each_reason(harness: Harness) -> None:
    bad = {**FIRING["alerts"][0], "status": "exploded"}
    response = _post(harness, json.dumps({**FIRING, "alerts": [bad, bad]}).encode())
    assert response.status_code == 422
    error = response.json()["error"]
    assert [r["index"] for r in error["rejected"]] == [0, 1]
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 0


def test_a_body_over_the_limit_is_a_413_without_reading_it_all(harness: Harness) -> None:
    limit = harness.runtime.settings.max_body_bytes
    response = _post(harness, b" " * (limit + 1))
    assert response.status_code == 413
    assert str(limit) in response.json()["error"]["message"]
    kept = harness.client.get("/api/v1/rejected").json()
    assert kept[0]["size_bytes"] == limit + 1
    assert kept[0]["truncated"] is True


def test_a_fifty_megabyte_body_is_refused_with_413(harness: Harness) -> None:
    response = _post(harness, b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413


def test_events_with_unknown_fields_are_refused_with_their_location(harness: Harness) -> None:
    start = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    good = event("IdpDown", started=start, service="idp")
    odd = {**good, "colour": "red"}
    response = harness.client.post("/api/v1/ingest/events", json={"events": [good, odd]})
    assert response.status_code == 200
    [rejected] = response.json()["rejected"]
    assert rejected["index"] == 1
    assert "colour" in rejected["reason"]


def test_odd_labels_are_accepted_and_shown_as_unmapped(harness: Harness) -> None:
    start = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    weird = event("Weird", started=start, service="\u0000\u202e" + "x" * 3000, note="é")
    # a lone surrogate, escaped as JSON allows and UTF-8 cannot carry
    body = json.dumps({"events": [weird]}).replace('"\\u00e9"', '"\\udcff\\u00e9"').encode()
    assert b"\\udcff" in body
    response = harness.client.post(
        "/api/v1/ingest/events", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert harness.process() == 1
    [shown] = harness.client.get("/api/v1/alerts/unmapped").json()
    assert shown["name"] == "Weird"


def test_ingest_requires_the_bearer_token_when_one_is_configured(
    database_url: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    settings = settings_for(database_url, tmp_path, ingest_token="s3cret-token", require_auth=True)
    runtime = build_runtime(settings)
    body = captured_payloads()["postgres-down-firing"]
    with TestClient(create_app(runtime, start_worker=False)) as client:
        url = "/api/v1/ingest/alertmanager"
        assert client.post(url, content=body).status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert client.post(url, content=body, headers=wrong).status_code == 401
        right = {"authorization": "Bearer s3cret-token"}
        assert client.post(url, content=body, headers=right).status_code == 200
        assert "s3cret-token" not in repr(runtime.settings)
    runtime.close()


def test_a_missing_database_is_a_503_so_that_alertmanager_retries(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = settings_for("postgresql://postgres@127.0.0.1:1/gone", tmp_path)
    runtime = build_runtime(settings, apply_migrations=False)
    body = captured_payloads()["postgres-down-firing"]
    with TestClient(create_app(runtime, start_worker=False)) as client:
        response = client.post("/api/v1/ingest/alertmanager", content=body)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert client.post("/api/v1/ingest/alertmanager", content=b"{").status_code == 503
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    runtime.close()


def test_people_declare_acknowledge_and_move_an_incident(harness: Harness) -> None:
    created = harness.client.post(
        "/api/v1/incidents",
        json={
            "title": "Customers report failed card payments",
            "declared_by": "alice",
            "touchpoints": ["card-payments"],
            "severity": "sev2",
        },
    )
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    ack = harness.client.post(f"/api/v1/incidents/{incident_id}/acknowledge", json={"by": "bob"})
    assert ack.json()["acknowledged_by"] == "bob"
    harness.clock.advance(minutes=5)
    moved = harness.client.post(
        f"/api/v1/incidents/{incident_id}/state",
        json={"state": "identified", "by": "bob", "note": "card-auth pool exhausted"},
    )
    assert moved.json()["state"] == "identified"
    again = harness.client.post(
        f"/api/v1/incidents/{incident_id}/state", json={"state": "identified", "by": "bob"}
    )
    assert again.status_code == 409
    raised = harness.client.post(
        f"/api/v1/incidents/{incident_id}/severity", json={"severity": "sev1", "by": "carol"}
    )
    assert raised.json()["severity"] == "sev1"
    timeline = harness.incident(incident_id)["timeline"]
    assert [e["kind"] for e in timeline] == [
        "opened",
        "acknowledged",
        "state_changed",
        "severity_changed",
    ]
    assert [e["source"] for e in timeline] == ["user:alice", "user:bob", "user:bob", "user:carol"]
    assert timeline[2]["at"] > timeline[1]["at"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"title": "x", "declared_by": "a"}, 422, "title"),
        ({"title": "Outage", "declared_by": "a", "colour": 1}, 422, "colour"),
        ({"title": "Outage", "declared_by": "a", "touchpoints": ["teleport"]}, 400, "teleport"),
        ({"title": "Outage", "declared_by": "a", "severity": "sev9"}, 422, "severity"),
    ],
)
def test_bad_declarations_are_refused_with_the_field_named(
    harness: Harness, body: dict[str, object], status: int, needle: str
) -> None:
    response = harness.client.post("/api/v1/incidents", json=body)
    assert response.status_code == status
    assert needle in response.json()["error"]["message"]


def test_unknown_incident_is_a_404(harness: Harness) -> None:
    assert harness.client.get("/api/v1/incidents/999").status_code == 404
    assert harness.client.get("/api/v1/incidents/abc").status_code == 422
    response = harness.client.post("/api/v1/incidents/999/acknowledge", json={"by": "x"})
    assert response.status_code == 404


def test_metrics_count_deliveries_and_backlog(harness: Harness) -> None:
    harness.post_alertmanager(captured_payloads()["postgres-down-firing"])
    text = harness.client.get("/metrics").text
    assert 'monitor_ingest_deliveries_total{result="accepted",source="alertmanager"} 1.0' in text
    assert "monitor_inbox_backlog 1.0" in text
    # the payload was captured at 16:55-17:00; the test clock says 18:00
    lag = next(
        line for line in text.splitlines() if line.startswith("monitor_pipeline_lag_seconds")
    )
    assert float(lag.split()[1]) == 0.0  # received "now" by the harness clock
    harness.process()
    text = harness.client.get("/metrics").text
    assert "monitor_inbox_backlog 0.0" in text
    assert "monitor_open_incidents 1.0" in text
    # never estimated: its estimate is as old as the incident
    [incident] = harness.incidents()
    opened = datetime.fromisoformat(incident["opened_at"])
    expected = (harness.clock.now - opened).total_seconds()
    age = next(line for line in text.splitlines() if line.startswith("monitor_estimate_age"))
    assert float(age.split()[1]) == pytest.approx(expected, abs=1)
    assert expected > 0


def test_the_events_schema_is_published(harness: Harness) -> None:
    schema = harness.client.get("/api/v1/ingest/events/schema").json()
    assert "events" in schema["properties"]
    assert schema["additionalProperties"] is False
