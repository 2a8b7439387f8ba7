from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.domain import AlertStatus
from monitor.errors import InputError
from monitor.ingest import IngestLimits, events_json_schema, parse_events
from monitor.ingest.events import Event, event_fingerprint

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = IngestLimits()


def event(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "source": "nagios",
        "name": "PostgresDown",
        "status": "firing",
        "severity": "critical",
        "labels": {"service": "postgres", "role": "primary", "region": "eu-west"},
        "summary": "PostgreSQL primary is not answering",
        "description": "check_pgsql timed out three times in a row",
        "started_at": "2024-05-01T11:12:00Z",
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not ...}


def body(*events: Any) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def parse(payload: bytes, *, limits: IngestLimits = LIMITS):
    return parse_events(payload, now=NOW, limits=limits)


def test_event_becomes_an_alert_that_catalog_matchers_can_see():
    (alert,) = parse(body(event(url="https://nagios.example.com/x"))).alerts
    assert alert.source == "nagios"
    assert alert.status is AlertStatus.FIRING
    assert alert.labels == {
        "service": "postgres",
        "role": "primary",
        "region": "eu-west",
        "alertname": "PostgresDown",
        "severity": "critical",
    }
    assert alert.annotations == {
        "summary": "PostgreSQL primary is not answering",
        "description": "check_pgsql timed out three times in a row",
    }
    assert alert.starts_at == datetime(2024, 5, 1, 11, 12, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.generator_url == "https://nagios.example.com/x"


def test_same_labels_give_the_same_fingerprint_across_events():
    first = parse(body(event())).alerts[0]
    again = parse(body(event(status="resolved", started_at="2024-05-01T11:12:00Z"))).alerts[0]
    assert first.fingerprint == again.fingerprint
    assert again.status is AlertStatus.RESOLVED
    assert again.ends_at == NOW


def test_fingerprint_depends_on_source_and_name():
    base = parse(body(event())).alerts[0].fingerprint
    assert parse(body(event(source="zabbix"))).alerts[0].fingerprint != base
    assert parse(body(event(name="PostgresSlow"))).alerts[0].fingerprint != base


def test_dedup_key_identifies_the_alert_whatever_its_labels():
    first = parse(body(event(dedup_key="db/pgsql"))).alerts[0]
    moved = parse(body(event(dedup_key="db/pgsql", labels={"service": "x"}))).alerts[0]
    assert first.fingerprint == moved.fingerprint
    assert first.fingerprint == event_fingerprint(source="nagios", labels={}, dedup_key="db/pgsql")
    other_tool = parse(body(event(source="zabbix", dedup_key="db/pgsql"))).alerts[0]
    assert other_tool.fingerprint != first.fingerprint


def test_resolved_event_keeps_its_own_end_time():
    resolved = event(status="resolved", ended_at="2024-05-01T12:40:00+01:00")
    (alert,) = parse(body(resolved)).alerts
    assert alert.ends_at == datetime(2024, 5, 1, 11, 40, tzinfo=UTC)


def test_minimal_event_is_enough():
    minimal = {
        "source": "cron",
        "name": "BackupFailed",
        "status": "firing",
        "started_at": "2024-05-01T11:00:00Z",
    }
    (alert,) = parse(body(minimal)).alerts
    assert alert.labels == {"alertname": "BackupFailed"}
    assert alert.annotations == {}
    assert alert.summary == "BackupFailed"


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (7, "events[0]: expected an object, got a number"),
        (event(source=...), "events[0].source: missing"),
        (event(source="Nagios"), "events[0].source: String should match pattern"),
        (event(name=""), "events[0].name: String should have at least 1 character"),
        (event(status="ok"), "events[0].status: Input should be 'firing' or 'resolved'"),
        (event(started_at=...), "events[0].started_at: missing"),
        (event(started_at="now"), "events[0].started_at: not a RFC 3339 time"),
        (event(started_at="1999-12-31T23:59:59Z"), "events[0].started_at: before 2000-01-01"),
        (event(started_at="2024-05-03T00:00:00Z"), "events[0].started_at: more than 1 day"),
        (event(status="resolved", ended_at="2024-05-01T11:00:00Z"), "events[0].ended_at: before"),
        (event(labels={"team": 1}), "events[0].labels.team: Input should be a valid string"),
        (event(labels={"a.b": "x"}), 'events[0].labels["a.b"]: name must match'),
        (event(labels={"alertname": "Other"}), "events[0].labels.alertname: differs from `name`"),
        (event(labels={"severity": "low"}), "events[0].labels.severity: differs from `severity`"),
        (event(priority="P1"), "events[0].priority: unknown field"),
        (event(url="javascript:alert(1)"), "events[0].url: String should match pattern"),
        (event(dedup_key=""), "events[0].dedup_key: String should have at least 1 character"),
    ],
)
def test_bad_event_is_rejected_alone_with_its_location(item, reason):
    batch = parse(body(event(), item))
    assert len(batch.alerts) == 1
    assert [r.index for r in batch.rejected] == [1]
    assert batch.rejected[0].reason.startswith(reason.replace("events[0]", "events[1]"))


def test_limits_apply_to_events():
    limits = IngestLimits(max_labels=3, max_annotation_value=5)
    batch = parse(body(event(), event(summary=None, description=None)), limits=limits)
    assert [r.reason for r in batch.rejected] == [
        "events[0].labels: 5 labels, more than 3",
        "events[1].labels: 5 labels, more than 3",
    ]
    short = event(labels={}, severity=..., summary="too long")
    assert parse(body(short), limits=limits).rejected[0].reason == (
        "events[0].summary: 8 characters, more than 5"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"nope", "body: not valid JSON"),
        (b"[]", "body: expected a JSON object, got a list"),
        (b"{}", "events: missing"),
        (b'{"events": "x"}', "events: expected a list, got a string"),
        (b'{"events": [], "version": 1}', "version: unknown field"),
    ],
)
def test_unusable_events_payload_raises_input_error(payload, message):
    with pytest.raises(InputError, match="^" + message.replace("[", r"\[")):
        parse(payload)


def test_too_many_events_is_refused_whole():
    with pytest.raises(InputError, match="events: 3 items, more than the limit of 2"):
        parse(body(event(), event(), event()), limits=IngestLimits(max_alerts_per_batch=2))


def test_json_schema_describes_the_contract_and_the_limits():
    schema = events_json_schema(IngestLimits(max_labels=10))
    assert schema["required"] == ["events"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["events"]["maxItems"] == 10_000
    event_schema = schema["$defs"]["Event"]
    assert set(event_schema["required"]) == {"source", "name", "status", "started_at"}
    assert event_schema["additionalProperties"] is False
    assert set(event_schema["properties"]) == set(Event.model_fields)
    labels = event_schema["properties"]["labels"]
    assert labels["maxProperties"] == 10
    assert labels["propertyNames"]["pattern"] == "^[a-zA-Z_][a-zA-Z0-9_]*$"
    assert event_schema["properties"]["started_at"]["format"] == "date-time"
    json.dumps(schema)  # serialisable as served by the API


def test_module_documentation_lists_every_field():
    import monitor.ingest.events as events

    assert events.__doc__ is not None
    for name in Event.model_fields:
        assert f"``{name}``" in events.__doc__


def test_lone_surrogate_escapes_become_replacement_characters_as_in_go() -> None:
    from datetime import UTC, datetime

    from monitor.ingest import IngestLimits, parse_events

    body = (
        b'{"events":[{"source":"t","name":"W","status":"firing",'
        b'"labels":{"note":"\\udcff\\u00e9"},"started_at":"2026-11-25T17:00:00Z"}]}'
    )
    parsed = parse_events(body, now=datetime(2026, 11, 25, 18, tzinfo=UTC), limits=IngestLimits())
    [alert] = parsed.alerts
    assert alert.labels["note"] == "\ufffd\u00e9"
    assert len(alert.fingerprint) == 16


def test_lone_surrogate_escapes_are_replaced_in_utf16_bodies_too() -> None:
    from datetime import UTC, datetime

    from monitor.ingest import IngestLimits, parse_events

    text = (
        '{"events":[{"source":"t","name":"W","status":"firing",'
        '"labels":{"note":"\\ud800x"},"started_at":"2026-11-25T17:00:00Z"}]}'
    )
    parsed = parse_events(
        text.encode("utf-16"), now=datetime(2026, 11, 25, 18, tzinfo=UTC), limits=IngestLimits()
    )
    [alert] = parsed.alerts
    assert alert.labels["note"] == "\ufffdx"
