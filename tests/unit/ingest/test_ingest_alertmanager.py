from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.domain import AlertStatus
from monitor.errors import InputError
from monitor.ingest import IngestLimits, labelset_fingerprint, parse_alertmanager
from tests.support.payloads import capture_time, captured_payloads

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = IngestLimits()
PAYLOADS = captured_payloads()


def envelope(*alerts: Any, **fields: Any) -> bytes:
    body = {
        "receiver": "ops",
        "status": "firing",
        "alerts": list(alerts),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
    }
    body.update(fields)
    return json.dumps(body).encode()


def alert(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "PostgresDown", "service": "postgres", "role": "primary"},
        "annotations": {"summary": "PostgreSQL primary is not answering"},
        "startsAt": "2024-05-01T11:55:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef",
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not ...}


def parse(body: bytes, *, limits: IngestLimits = LIMITS):
    return parse_alertmanager(body, now=NOW, limits=limits)


def only_rejection(body: bytes, *, limits: IngestLimits = LIMITS) -> str:
    batch = parse(body, limits=limits)
    assert batch.alerts == ()
    assert len(batch.rejected) == 1
    assert batch.rejected[0].index == 0
    return batch.rejected[0].reason


def test_captured_payloads_are_present():
    assert set(PAYLOADS) >= {
        "postgres-down-firing",
        "postgres-down-resolved",
        "rabbitmq-two-nodes-down",
        "rabbitmq-one-node-resolved",
        "card-auth-errors-payments",
    }


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_every_captured_alert_is_accepted_with_alertmanagers_fingerprint(name):
    body = PAYLOADS[name]
    raw = json.loads(body)
    batch = parse_alertmanager(body, now=capture_time(body), limits=LIMITS)
    assert batch.rejected == ()
    assert [a.fingerprint for a in batch.alerts] == [a["fingerprint"] for a in raw["alerts"]]
    assert [a.labels for a in batch.alerts] == [a["labels"] for a in raw["alerts"]]
    assert all(a.source == "alertmanager" for a in batch.alerts)
    assert batch.meta.receiver == raw["receiver"]
    assert batch.meta.group_key == raw["groupKey"]
    assert batch.meta.external_url == "http://alertmanager.example.com:9093"
    assert batch.meta.truncated_alerts == 0


def test_captured_firing_alert_has_no_end_and_keeps_annotations():
    body = PAYLOADS["postgres-down-firing"]
    (postgres,) = parse_alertmanager(body, now=capture_time(body), limits=LIMITS).alerts
    assert postgres.status is AlertStatus.FIRING
    assert postgres.ends_at is None  # "0001-01-01T00:00:00Z" means unset
    assert postgres.name == "PostgresDown"
    assert postgres.severity == "critical"
    assert postgres.summary == "PostgreSQL primary is not answering"
    assert postgres.starts_at.tzinfo is UTC
    assert postgres.generator_url is not None
    assert "&g0.tab=1" in postgres.generator_url  # Go's \u0026 escape decoded


def test_captured_resolution_carries_alertmanagers_end_time():
    firing_body = PAYLOADS["postgres-down-firing"]
    resolved_body = PAYLOADS["postgres-down-resolved"]
    (firing,) = parse_alertmanager(firing_body, now=capture_time(firing_body), limits=LIMITS).alerts
    (resolved,) = parse_alertmanager(
        resolved_body, now=capture_time(resolved_body), limits=LIMITS
    ).alerts
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.fingerprint == firing.fingerprint
    assert resolved.starts_at == firing.starts_at
    expected_end = json.loads(resolved_body)["alerts"][0]["endsAt"]
    assert resolved.ends_at == datetime.fromisoformat(expected_end.replace("Z", "+00:00"))


def test_captured_group_with_one_resolved_alert_keeps_each_alerts_status():
    body = PAYLOADS["rabbitmq-one-node-resolved"]
    batch = parse_alertmanager(body, now=capture_time(body), limits=LIMITS)
    statuses = {a.labels["instance"]: a.status for a in batch.alerts}
    assert statuses == {
        "mq-1.eu-west:5672": AlertStatus.FIRING,
        "mq-2.eu-west:5672": AlertStatus.RESOLVED,
    }


def test_nanosecond_times_are_truncated_to_microseconds():
    (parsed,) = parse(envelope(alert())).alerts
    assert parsed.starts_at == datetime(2024, 5, 1, 11, 55, 0, 123456, tzinfo=UTC)


def test_time_zone_offsets_are_converted_to_utc():
    (parsed,) = parse(envelope(alert(startsAt="2024-05-01T13:55:00+02:00"))).alerts
    assert parsed.starts_at == datetime(2024, 5, 1, 11, 55, tzinfo=UTC)


def test_missing_or_malformed_fingerprint_is_computed_from_labels():
    labels = {"alertname": "PostgresDown", "service": "postgres"}
    for fingerprint in (..., "", "XYZ", "0123456789ABCDEF", "0123456789abcde", 42):
        batch = parse(envelope(alert(labels=labels, fingerprint=fingerprint)))
        if fingerprint == 42:
            assert "alerts[0].fingerprint" in batch.rejected[0].reason
            continue
        (parsed,) = batch.alerts
        assert parsed.fingerprint == labelset_fingerprint(labels)


def test_resolved_alert_without_end_time_ends_now():
    (parsed,) = parse(envelope(alert(status="resolved", endsAt=...))).alerts
    assert parsed.status is AlertStatus.RESOLVED
    assert parsed.ends_at == NOW


def test_one_bad_alert_does_not_reject_the_others():
    batch = parse(envelope(alert(), alert(startsAt="yesterday"), alert(status="firing")))
    assert len(batch.alerts) == 2
    assert [(r.index, r.reason) for r in batch.rejected] == [
        (1, "alerts[1].startsAt: not a RFC 3339 time")
    ]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("nope", "alerts[0]: expected an object, got a string"),
        (alert(status=...), "alerts[0].status: missing"),
        (alert(labels=...), "alerts[0].labels: missing"),
        (alert(startsAt=...), "alerts[0].startsAt: missing"),
        (alert(status="pending"), "alerts[0].status: Input should be 'firing' or 'resolved'"),
        (alert(labels=["a"]), "alerts[0].labels: Input should be a valid dictionary"),
        (alert(labels={"team": 7}), "alerts[0].labels.team: Input should be a valid string"),
        (alert(labels={"team": None}), "alerts[0].labels.team: Input should be a valid string"),
        (alert(annotations={"summary": 1}), "alerts[0].annotations.summary: Input should be"),
        (alert(startsAt=1714564500), "alerts[0].startsAt: Input should be a valid string"),
        (alert(startsAt="2024-05-01 11:55"), "alerts[0].startsAt: not a RFC 3339 time"),
        (alert(startsAt="2024-05-01T11:55:00"), "alerts[0].startsAt: not a RFC 3339 time"),
        (alert(startsAt="2024-02-30T11:55:00Z"), "alerts[0].startsAt: not a RFC 3339 time"),
        (alert(startsAt="2024-05-01T11:55:00+25:00"), "alerts[0].startsAt: not a RFC 3339 time"),
        (alert(startsAt="１９９９-05-01T11:55:00Z"), "alerts[0].startsAt: not a RFC 3339 time"),
        (alert(startsAt="0001-01-01T00:00:00Z"), "alerts[0].startsAt: missing (zero time)"),
        (alert(startsAt="1970-01-01T00:00:00Z"), "alerts[0].startsAt: before 2000-01-01"),
        (alert(startsAt="2024-05-02T12:00:01Z"), "alerts[0].startsAt: more than 1 day in the"),
        (alert(status="resolved", endsAt="2024-05-01T11:00:00Z"), "alerts[0].endsAt: before"),
        (alert(endsAt="2030-01-01T00:00:00Z"), "alerts[0].endsAt: more than 1 day in the future"),
        (alert(labels={}), "alerts[0].labels: at least one label is required"),
        (alert(labels={"a-b": "x"}), 'alerts[0].labels["a-b"]: name must match'),
        (alert(labels={"1a": "x"}), 'alerts[0].labels["1a"]: name must match'),
        (alert(labels={"": "x"}), 'alerts[0].labels[""]: name must match'),
        (alert(annotations={"a b": "x"}), 'alerts[0].annotations["a b"]: name must match'),
    ],
)
def test_bad_alert_is_rejected_with_its_location(item, reason):
    assert only_rejection(envelope(item)).startswith(reason)


def test_too_many_labels_rejects_the_alert():
    limits = IngestLimits(max_labels=3)
    labels = {f"l{i}": "v" for i in range(4)}
    assert only_rejection(envelope(alert(labels=labels)), limits=limits) == (
        "alerts[0].labels: 4 labels, more than 3"
    )


def test_too_long_label_and_annotation_values_reject_the_alert():
    limits = IngestLimits(max_label_value=5, max_annotation_value=8)
    long_label = alert(labels={"service": "postgres"})
    assert only_rejection(envelope(long_label), limits=limits) == (
        "alerts[0].labels.service: 8 characters, more than 5"
    )
    long_note = alert(labels={"a": "b"}, annotations={"summary": "x" * 9})
    assert only_rejection(envelope(long_note), limits=limits) == (
        "alerts[0].annotations.summary: 9 characters, more than 8"
    )


def test_values_at_the_limits_are_accepted():
    limits = IngestLimits(max_labels=2, max_label_value=3, future_skew=timedelta(hours=1))
    item = alert(labels={"a": "123", "b": ""}, startsAt="2024-05-01T13:00:00Z")
    assert len(parse(envelope(item), limits=limits).alerts) == 1


def test_unknown_fields_from_newer_alertmanagers_are_ignored():
    body = envelope(alert(silencedBy=["x"]), newField={"x": 1})
    assert len(parse(body).alerts) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: not valid JSON"),
        (b"{", "body: not valid JSON"),
        (b"\xff\xfe\x00", "body: not valid JSON"),
        (b"[]", "body: expected a JSON object, got a list"),
        (b'"4"', "body: expected a JSON object, got a string"),
        (b"null", "body: expected a JSON object, got null"),
        (b'{"alerts": []}', 'version: missing (expected "4")'),
        (b'{"version": "3", "alerts": []}', 'version: expected "4", got "3"'),
        (b'{"version": 4, "alerts": []}', 'version: expected "4", got a number'),
        (b'{"version": "4"}', "alerts: missing"),
        (b'{"version": "4", "alerts": {}}', "alerts: expected a list, got an object"),
        (b'{"version": "4", "alerts": null}', "alerts: expected a list, got null"),
        (b"[" * 100_000 + b"]" * 100_000, "body: "),
    ],
)
def test_unusable_envelope_raises_input_error_saying_where(body, message):
    with pytest.raises(InputError) as caught:
        parse(body)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("receiver", 5, "receiver: Input should be a valid string"),
        ("truncatedAlerts", -1, "truncatedAlerts: Input should be greater than or equal to 0"),
        ("truncatedAlerts", "2", "truncatedAlerts: Input should be a valid integer"),
        ("groupKey", None, "groupKey: Input should be a valid string"),
    ],
)
def test_malformed_envelope_fields_raise_input_error(field, value, message):
    with pytest.raises(InputError, match="^" + message):
        parse(envelope(alert(), **{field: value}))


def test_more_alerts_than_the_batch_limit_is_refused_whole():
    limits = IngestLimits(max_alerts_per_batch=2)
    with pytest.raises(InputError, match="alerts: 3 items, more than the limit of 2"):
        parse(envelope(alert(), alert(), alert()), limits=limits)


def test_truncated_alerts_is_reported():
    assert parse(envelope(alert(), truncatedAlerts=12)).meta.truncated_alerts == 12


def test_parser_does_not_accept_naive_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_alertmanager(envelope(alert()), now=datetime(2024, 5, 1), limits=LIMITS)


def test_only_http_generator_links_are_kept():
    (kept,) = parse(envelope(alert(generatorURL="https://prometheus/graph"))).alerts
    assert kept.generator_url == "https://prometheus/graph"
    for link in ("javascript:alert(1)", "", "prometheus/graph"):
        (dropped,) = parse(envelope(alert(generatorURL=link))).alerts
        assert dropped.generator_url is None


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        IngestLimits(max_labels=0)
