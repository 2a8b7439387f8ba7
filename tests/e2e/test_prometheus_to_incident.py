"""A real Prometheus rule fires and resolves; the poller turns it into an incident's life."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.bootstrap import build_runtime
from monitor.settings import Settings
from tests.conftest import EXAMPLE_CATALOG
from tests.support.fixtures import StartPrometheus
from tests.support.processes import reload_prometheus

pytestmark = pytest.mark.slow

RULES = """
groups:
  - name: databases
    rules:
      - alert: PostgresDown
        expr: {expr}
        for: 0s
        labels: {{service: postgres, role: primary, severity: critical}}
        annotations: {{summary: PostgreSQL primary is not answering}}
"""


def _until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_a_prometheus_rule_opens_then_quiets_an_incident(
    prometheus_factory: StartPrometheus, database_url: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES.format(expr="vector(1)"))
    prometheus = prometheus_factory(rule_files=[rules])
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        catalog_path=EXAMPLE_CATALOG,
        prometheus_url=prometheus.url,
        prometheus_timeout_seconds=5,
    )
    runtime = build_runtime(settings, clock=lambda: datetime.now(UTC))
    try:
        _until(runtime.scheduler.poll_once)
        assert runtime.worker.run_once() == 1
        assert not runtime.scheduler.poll_once()  # nothing new: nothing written
        with runtime.store.unit_of_work() as uow:
            [incident] = uow.incidents.recent()
        assert incident.root_cause_hint == "db-primary-eu"
        assert incident.touchpoints["card-payments"].value == "major_outage"

        rules.write_text(RULES.format(expr="vector(1) < 0"))
        reload_prometheus(prometheus)
        _until(runtime.scheduler.poll_once)
        runtime.worker.run_once()
        with runtime.store.unit_of_work() as uow:
            [incident] = uow.incidents.recent()
            kinds = [e.kind.value for e in uow.incidents.timeline(incident.id)]
        assert incident.state.value == "monitoring"
        assert kinds.count("alert_fired") == 1
        assert kinds.count("alert_resolved") == 1
    finally:
        runtime.close()
