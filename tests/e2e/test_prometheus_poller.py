"""The poller against a real Prometheus evaluating real alerting rules."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.domain import AlertStatus
from monitor.ingest import (
    PollResult,
    RuleQuery,
    connect_prometheus,
    labelset_fingerprint,
    poll_alerts,
)

# Imported so the module runs even without the fixtures plugin in a conftest.
from tests.support.fixtures import StartPrometheus, prometheus_factory  # noqa: F401
from tests.support.processes import reload_prometheus

pytestmark = pytest.mark.slow

POSTGRES = {
    "alertname": "PostgresDown",
    "service": "postgres",
    "role": "primary",
    "severity": "critical",
}
RULES = """
groups:
  - name: databases
    rules:
      - alert: PostgresDown
        expr: {expr}
        for: 0s
        labels: {{service: postgres, role: primary, severity: critical}}
        annotations: {{summary: PostgreSQL primary is not answering}}
      - alert: ReplicationLagHigh
        expr: vector(1)
        for: 1h
        labels: {{service: postgres, severity: warning}}
"""


def write_rules(path: Path, *, expr: str) -> Path:
    path.write_text(RULES.format(expr=expr))
    return path


def poll_until(
    done: Callable[[PollResult], bool], poll: Callable[[], PollResult], *, timeout: float = 20
) -> PollResult:
    deadline = time.monotonic() + timeout
    while True:
        result = poll()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_firing_rule_is_read_with_labels_and_start_then_resolves(
    prometheus_factory: StartPrometheus,  # noqa: F811
    tmp_path: Path,
) -> None:
    rules = write_rules(tmp_path / "rules.yml", expr="vector(1)")
    before_start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    server = prometheus_factory(rule_files=[rules])
    client = connect_prometheus(server.url, timeout_seconds=5)

    first = poll_until(
        lambda r: bool(r.firing),
        lambda: poll_alerts(client, previous={}, now=datetime.now(UTC)),
    )
    (alert,) = first.firing  # the pending ReplicationLagHigh is not reported
    assert alert.labels == POSTGRES
    assert alert.source == "prometheus"
    assert alert.status is AlertStatus.FIRING
    assert alert.fingerprint == labelset_fingerprint(POSTGRES)
    assert before_start <= alert.starts_at <= datetime.now(UTC)
    assert first.resolved == ()
    assert first.problems == ()

    later = poll_alerts(
        client, previous={alert.fingerprint: alert}, now=datetime.now(UTC) + timedelta(seconds=2)
    )
    assert [a.starts_at for a in later.firing] == [alert.starts_at]  # same occurrence

    write_rules(rules, expr="vector(1) > 2")
    reload_prometheus(server)
    previous = {alert.fingerprint: alert}
    moments: list[datetime] = []

    def poll() -> PollResult:
        moments.append(datetime.now(UTC))
        return poll_alerts(client, previous=previous, now=moments[-1])

    gone = poll_until(lambda r: not r.firing, poll)
    assert gone.firing == ()
    (resolved,) = gone.resolved
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.fingerprint == alert.fingerprint
    assert resolved.starts_at == alert.starts_at
    assert resolved.ends_at == moments[-1]


def test_rule_query_reads_any_expression_as_alerts(
    prometheus_factory: StartPrometheus,  # noqa: F811
    tmp_path: Path,
) -> None:
    server = prometheus_factory()
    client = connect_prometheus(server.url, timeout_seconds=5)
    rule = RuleQuery(
        alertname="PostgresReplicaMissing",
        expr='label_replace(vector(1), "instance", "db-replica-eu-1:5432", "", "")',
        labels={"service": "postgres", "severity": "warning"},
    )
    now = datetime.now(UTC)
    result = poll_alerts(client, previous={}, now=now, rules=[rule])
    (alert,) = result.firing
    assert alert.labels == {
        "service": "postgres",
        "severity": "warning",
        "instance": "db-replica-eu-1:5432",
        "alertname": "PostgresReplicaMissing",
    }
    assert alert.starts_at == now
