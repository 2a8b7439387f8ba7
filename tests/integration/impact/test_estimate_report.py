"""The report drawn from stored estimates: the normal-traffic line and per-segment figures."""

from __future__ import annotations

from datetime import timedelta

from monitor.catalog import load_catalog
from monitor.domain import IncidentState, Severity, TouchpointState
from monitor.impact import Sources
from monitor.report import ReportFormat, build_report, render
from monitor.services.estimation import estimate_incident
from monitor.sources import PrometheusMetrics, SqlOperationalData
from monitor.store import Store
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)


def test_a_report_from_stored_estimates_shows_normal_traffic_and_segments(
    store: Store, world: SmallWorld
) -> None:
    start, end = world.fault("login-errors")
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(
            title="Identity provider errors",
            at=start,
            severity=Severity.SEV2,
            touchpoints={
                "transfers": TouchpointState.PARTIAL_OUTAGE,
                "mobile-login": TouchpointState.PARTIAL_OUTAGE,
            },
            components=["idp"],
        )
        uow.commit()
    sources = Sources(
        metrics=PrometheusMetrics(world.prometheus_url, timeout_seconds=10),
        operational=SqlOperationalData.from_url(world.opdb_url),
    )
    for minutes in (10, 20):
        estimate_incident(
            store,
            incident_id=incident_id,
            catalog=CATALOG,
            sources=sources,
            now=start + timedelta(minutes=minutes),
        )
    with store.unit_of_work() as uow:
        uow.incidents.update(incident_id, {"state": IncidentState.RESOLVED, "resolved_at": end})
        uow.commit()
    final = estimate_incident(
        store, incident_id=incident_id, catalog=CATALOG, sources=sources, now=end
    )
    assert final is not None
    assert final["final"] is True
    stored = final["touchpoints"]["transfers"]  # type: ignore[index]
    assert set(stored["normal_customers"]) == {"estimate", "low", "high", "level"}
    assert set(stored["segments"]) == {"retail", "business", "premium"}

    with store.unit_of_work() as uow:
        report = build_report(uow, catalog=CATALOG, incident_id=incident_id, now=end)
    points = report.series["transfers"]
    assert len(points) == 3
    normals = [p.normal for p in points]
    assert all(n is not None and n > 0 for n in normals)
    assert normals == sorted(normals)  # the window grows, so does its normal traffic
    [transfers] = [i for i in report.impacts if i.touchpoint == "transfers"]
    assert transfers.affected is not None
    by_segment = {s.segment: s.affected for s in transfers.by_segment}
    assert set(by_segment) == {"retail", "business", "premium"}
    total = sum(f.estimate for f in by_segment.values())
    assert abs(total - transfers.affected.estimate) <= 2
    truth = world.affected("login-errors", "transfers")
    assert (
        sum(f.low for f in by_segment.values()) <= truth <= sum(f.high for f in by_segment.values())
    )

    markdown = render(report, ReportFormat.MD)
    assert "by segment:" in markdown
    html = render(report, ReportFormat.HTML)
    assert 'stroke-dasharray="4 3"' in html  # the normal traffic, dashed
    assert "do not carry the touchpoints' normal traffic" not in html
