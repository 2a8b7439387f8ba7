from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.domain import Alert, AlertStatus
from monitor.ingest import RuleQuery, labelset_fingerprint, poll_alerts
from monitor.ingest.prometheus_poller import FIRING_QUERY, FOR_STATE_QUERY, PrometheusQuery

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACTIVE_SINCE = datetime(2024, 5, 1, 11, 50, tzinfo=UTC)
POSTGRES = {
    "alertname": "PostgresDown",
    "service": "postgres",
    "role": "primary",
    "severity": "critical",
}


class FakePrometheus:
    """Answers instant queries from a table, as PrometheusConnect.custom_query returns them."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any] | None]] = []

    def custom_query(self, query: str, params: dict[str, Any] | None = None) -> Any:
        self.calls.append((query, params))
        return self.answers.get(query, [])


def sample(name: str, labels: dict[str, str], value: float | str) -> dict[str, Any]:
    return {"metric": {"__name__": name, **labels}, "value": [NOW.timestamp(), str(value)]}


def prometheus(*firing: dict[str, str], since: datetime = ACTIVE_SINCE) -> FakePrometheus:
    return FakePrometheus(
        {
            FIRING_QUERY: [
                sample("ALERTS", {**labels, "alertstate": "firing"}, 1) for labels in firing
            ],
            FOR_STATE_QUERY: [
                sample("ALERTS_FOR_STATE", labels, since.timestamp()) for labels in firing
            ],
        }
    )


def firing_alert(labels: dict[str, str], *, starts_at: datetime = ACTIVE_SINCE) -> Alert:
    return Alert(
        fingerprint=labelset_fingerprint(labels),
        source="prometheus",
        status=AlertStatus.FIRING,
        labels=labels,
        annotations={},
        starts_at=starts_at,
    )


def test_fake_satisfies_the_protocol():
    client: PrometheusQuery = FakePrometheus({})
    assert client.custom_query(query="up") == []


def test_firing_alert_gets_labels_without_internal_ones_and_start_from_for_state():
    client = prometheus(POSTGRES)
    result = poll_alerts(client, previous={}, now=NOW)
    (alert,) = result.firing
    assert alert.labels == POSTGRES
    assert alert.source == "prometheus"
    assert alert.status is AlertStatus.FIRING
    assert alert.starts_at == ACTIVE_SINCE
    assert alert.ends_at is None
    assert alert.fingerprint == labelset_fingerprint(POSTGRES)
    assert result.resolved == ()
    assert result.problems == ()


def test_queries_are_evaluated_at_the_poll_time():
    client = prometheus(POSTGRES)
    poll_alerts(client, previous={}, now=NOW)
    assert {q for q, _ in client.calls} == {FIRING_QUERY, FOR_STATE_QUERY}
    assert all(params == {"time": f"{NOW.timestamp():.3f}"} for _, params in client.calls)


def test_alert_gone_since_last_poll_is_resolved_at_poll_time():
    gone = firing_alert({"alertname": "DiskFull", "instance": "db-1"})
    still = firing_alert(POSTGRES)
    result = poll_alerts(
        prometheus(POSTGRES), previous={a.fingerprint: a for a in (gone, still)}, now=NOW
    )
    assert [a.fingerprint for a in result.firing] == [still.fingerprint]
    assert result.resolved == (replace(gone, status=AlertStatus.RESOLVED, ends_at=NOW),)


def test_previous_alerts_of_other_sources_or_already_resolved_are_left_alone():
    other = replace(firing_alert({"alertname": "X"}), source="alertmanager")
    done = replace(firing_alert({"alertname": "Y"}), status=AlertStatus.RESOLVED, ends_at=NOW)
    result = poll_alerts(prometheus(), previous={"a" * 16: other, "b" * 16: done}, now=NOW)
    assert result.firing == ()
    assert result.resolved == ()


def test_start_time_falls_back_to_previous_poll_then_to_now():
    no_for_state = FakePrometheus(
        {FIRING_QUERY: [sample("ALERTS", {**POSTGRES, "alertstate": "firing"}, 1)]}
    )
    earlier = NOW - timedelta(minutes=3)
    known = firing_alert(POSTGRES, starts_at=earlier)
    (alert,) = poll_alerts(no_for_state, previous={known.fingerprint: known}, now=NOW).firing
    assert alert.starts_at == earlier
    (alert,) = poll_alerts(no_for_state, previous={}, now=NOW).firing
    assert alert.starts_at == NOW


def test_absurd_for_state_value_is_not_trusted():
    (alert,) = poll_alerts(
        prometheus(POSTGRES, since=datetime(1970, 1, 2, tzinfo=UTC)), previous={}, now=NOW
    ).firing
    assert alert.starts_at == NOW


def test_annotations_of_an_earlier_poll_are_kept():
    known = replace(firing_alert(POSTGRES), annotations={"summary": "from webhook"})
    (alert,) = poll_alerts(
        prometheus(POSTGRES), previous={known.fingerprint: known}, now=NOW
    ).firing
    assert alert.annotations == {"summary": "from webhook"}


def test_rule_query_turns_each_series_into_an_alert():
    expr = 'pg_up{role="primary"} == 0'
    client = FakePrometheus(
        {
            expr: [
                sample("pg_up", {"instance": "db-primary-eu-1:9187", "role": "primary"}, 0),
                sample("pg_up", {"instance": "db-primary-eu-2:9187", "role": "primary"}, 0),
            ]
        }
    )
    rule = RuleQuery(
        alertname="PostgresExporterDown",
        expr=expr,
        labels={"service": "postgres", "severity": "critical", "role": "ignored"},
        annotations={"summary": "pg_up is 0"},
    )
    result = poll_alerts(client, previous={}, now=NOW, rules=[rule])
    assert [a.labels for a in result.firing] == [
        {
            "service": "postgres",
            "severity": "critical",
            "role": "primary",
            "instance": f"db-primary-eu-{n}:9187",
            "alertname": "PostgresExporterDown",
        }
        for n in (1, 2)
    ]
    assert all(a.annotations == {"summary": "pg_up is 0"} for a in result.firing)
    assert all(a.starts_at == NOW for a in result.firing)
    second = poll_alerts(
        FakePrometheus({}),
        previous={a.fingerprint: a for a in result.firing},
        now=NOW + timedelta(minutes=1),
        rules=[rule],
    )
    assert [a.status for a in second.resolved] == [AlertStatus.RESOLVED] * 2


def test_malformed_answers_are_reported_not_fatal():
    client = FakePrometheus(
        {
            FIRING_QUERY: [
                {"metric": {"alertname": "A"}},
                "junk",
                sample("ALERTS", {**POSTGRES, "alertstate": "firing"}, 1),
            ],
            FOR_STATE_QUERY: {"not": "a vector"},
        }
    )
    result = poll_alerts(client, previous={}, now=NOW)
    assert [a.labels for a in result.firing] == [POSTGRES]
    assert result.problems == (
        "ALERTS_FOR_STATE: expected a vector, got dict",
        f"{FIRING_QUERY}: result[0] is not a sample",
        f"{FIRING_QUERY}: result[1] is not a sample",
    )
