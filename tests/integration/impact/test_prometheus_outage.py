"""Prometheus refusing and hanging during an incident, for real, behind a TCP proxy.

The simulated world's Prometheus-compatible query API is reached through
``tests.support.tcp_proxy``: cut, the estimate keeps its last figures marked
stale with the reason; hung, the estimate still returns within its timeouts;
restored, a fresh figure replaces the stale one. The poller backs off while
the server is unreachable.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from monitor.bootstrap import build_runtime
from monitor.catalog import load_catalog
from monitor.domain import Severity, TouchpointState
from monitor.impact import Sources
from monitor.scheduler import poll_backoff
from monitor.services.estimation import estimate_incident
from monitor.services.status import build_status
from monitor.settings import Settings
from monitor.sources import PrometheusMetrics
from monitor.store import Store
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld
from tests.support.tcp_proxy import tcp_proxy

CATALOG = load_catalog(EXAMPLE_CATALOG)
TIMEOUT = 1.0


def _card(data: dict[str, object] | None) -> dict[str, object]:
    assert data is not None
    touchpoints = data["touchpoints"]
    assert isinstance(touchpoints, dict)
    card = touchpoints["card-payments"]
    assert isinstance(card, dict)
    return card


def _timed(store: Store, incident_id: int, sources: Sources, now: datetime) -> tuple[dict, float]:
    began = time.monotonic()
    data = estimate_incident(
        store, incident_id=incident_id, catalog=CATALOG, sources=sources, now=now
    )
    return _card(data), time.monotonic() - began


def test_a_prometheus_outage_keeps_the_last_estimate_marked_stale_until_it_answers(
    store: Store, world: SmallWorld
) -> None:
    start, _ = world.fault("card-auth-down")
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(
            title="Card authorisation down",
            at=start,
            severity=Severity.SEV1,
            touchpoints={"card-payments": TouchpointState.MAJOR_OUTAGE},
            components=["card-auth"],
        )
        uow.commit()
    port = urlparse(world.prometheus_url).port
    assert port is not None
    with tcp_proxy("127.0.0.1", port) as proxy:
        sources = Sources(
            metrics=PrometheusMetrics(f"http://127.0.0.1:{proxy.port}", timeout_seconds=TIMEOUT),
            operational=None,
        )
        first, _ = _timed(store, incident_id, sources, start + timedelta(minutes=10))
        assert first["affected_customers"] is not None
        assert "stale" not in first

        proxy.refuse()
        refused, refused_seconds = _timed(
            store, incident_id, sources, start + timedelta(minutes=15)
        )
        status = build_status(store, catalog=CATALOG, now=start + timedelta(minutes=15))
        [shown] = [t for t in status.touchpoints if t.id == "card-payments"]
        proxy.hang()
        hung, hung_seconds = _timed(store, incident_id, sources, start + timedelta(minutes=20))
        proxy.restore()
        back, _ = _timed(store, incident_id, sources, start + timedelta(minutes=25))

    print(f"\nestimate while refused: {refused_seconds:.1f}s, while hung: {hung_seconds:.1f}s")
    first_at = (start + timedelta(minutes=10)).isoformat()
    for stale in (refused, hung):
        assert stale["affected_customers"] == first["affected_customers"]
        assert stale["stale"]["since"] == first_at  # type: ignore[index]
        assert "Prometheus unreachable" in stale["stale"]["reason"]  # type: ignore[index]
    # the status API shows the kept figure and says why it is old
    assert shown.affected_customers is not None
    assert shown.affected_customers.estimate == first["affected_customers"]["estimate"]  # type: ignore[index]
    assert shown.estimate_stale is not None
    assert "Prometheus unreachable" in shown.estimate_stale
    assert refused_seconds < 5
    assert hung_seconds < 10 * TIMEOUT
    assert "stale" not in back
    assert back["affected_customers"]["estimate"] >= first["affected_customers"]["estimate"]  # type: ignore[index]


def test_the_poller_backs_off_while_prometheus_is_unreachable(tmp_path: Path) -> None:
    # hung: every connection is accepted (and counted) and never answered
    with tcp_proxy("127.0.0.1", 9) as proxy:
        proxy.hang()
        settings = Settings(
            data_dir=tmp_path,
            catalog_path=EXAMPLE_CATALOG,
            prometheus_url=f"http://127.0.0.1:{proxy.port}",
            prometheus_poll_seconds=10,
            prometheus_timeout_seconds=TIMEOUT,
            worker_enabled=False,
        )
        now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        clock = [now]
        runtime = build_runtime(settings, clock=lambda: clock[0])
        try:
            scheduler = runtime.scheduler
            tried = []
            for second in range(0, 75, 5):  # an APScheduler tick every 5 s for 75 s
                clock[0] = now + timedelta(seconds=second)
                before = proxy.connections
                scheduler.poll_once()
                if proxy.connections > before:
                    tried.append(second)
        finally:
            runtime.close()
    # failed at 0, then waits 10 s, 20 s, 40 s: tries at 0, 10, 30, 70
    assert tried == [0, 10, 30, 70]
    assert scheduler.poll_failures == 4
    assert [poll_backoff(10, n).total_seconds() for n in (1, 2, 3, 9)] == [10, 20, 40, 300]
