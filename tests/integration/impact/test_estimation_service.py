"""Estimates on incidents' timelines, on SQLite and PostgreSQL, from the small simulated world."""

from __future__ import annotations

from datetime import timedelta

from monitor.catalog import load_catalog
from monitor.domain import EventKind, IncidentState, Severity, TouchpointState
from monitor.impact import Sources
from monitor.services.estimation import due_for_estimate, estimate_incident
from monitor.sources import PrometheusMetrics, SqlOperationalData
from monitor.store import Store
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)
FIGURE = {"estimate", "low", "high", "level"}


def _sources(world: SmallWorld) -> Sources:
    return Sources(
        metrics=PrometheusMetrics(world.prometheus_url, timeout_seconds=10),
        operational=SqlOperationalData.from_url(world.opdb_url),
    )


def test_open_incident_gets_live_estimates_then_one_final(store: Store, world: SmallWorld) -> None:
    start, end = world.fault("card-auth-down")
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(
            title="Card authorisation down",
            at=start,
            severity=Severity.SEV1,
            touchpoints={"card-payments": TouchpointState.MAJOR_OUTAGE},
            components=["card-auth"],
        )
        uow.commit()
    interval = timedelta(minutes=5)
    now = start + timedelta(minutes=10)
    assert due_for_estimate(store, now=now, interval=interval).live == (incident_id,)

    live = estimate_incident(
        store, incident_id=incident_id, catalog=CATALOG, sources=_sources(world), now=now
    )
    assert live is not None
    assert live["final"] is False
    assert live["window"] == {"start": start.isoformat(), "end": now.isoformat()}
    figures = live["touchpoints"]["card-payments"]  # type: ignore[index]
    assert set(figures) == {
        "affected_customers", "affected_so_far", "failed_interactions",
        "exposed_customers", "methods", "quality", "normal_customers", "segments",
    }  # fmt: skip
    assert set(figures["affected_customers"]) == FIGURE
    assert 0 < figures["affected_so_far"]["estimate"] <= figures["affected_customers"]["high"]
    assert due_for_estimate(store, now=now + timedelta(minutes=1), interval=interval).all() == ()

    with store.unit_of_work() as uow:
        uow.incidents.update(incident_id, {"state": IncidentState.RESOLVED, "resolved_at": end})
        uow.commit()
    assert due_for_estimate(store, now=end, interval=interval).final == (incident_id,)
    final = estimate_incident(
        store, incident_id=incident_id, catalog=CATALOG, sources=_sources(world), now=end
    )
    assert final is not None
    assert final["final"] is True
    truth = world.affected("card-auth-down", "card-payments")
    affected = final["touchpoints"]["card-payments"]["affected_customers"]  # type: ignore[index]
    assert affected["low"] <= truth <= affected["high"]
    assert due_for_estimate(store, now=end, interval=interval).all() == ()

    with store.unit_of_work() as uow:
        events = [
            e for e in uow.incidents.timeline(incident_id) if e.kind is EventKind.ESTIMATE_UPDATED
        ]
    assert [e.data["final"] for e in events] == [False, True]
    assert "card-payments" in events[-1].summary


def test_incident_without_catalog_touchpoints_is_not_estimated(
    store: Store, world: SmallWorld
) -> None:
    start, _ = world.fault("card-auth-down")
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(title="Disk", at=start, severity=Severity.SEV4)
        uow.commit()
    assert (
        estimate_incident(
            store,
            incident_id=incident_id,
            catalog=CATALOG,
            sources=_sources(world),
            now=start + timedelta(minutes=5),
        )
        is None
    )
    # resolved without ever hurting a touchpoint: nothing to estimate, so never due for a final
    end = start + timedelta(minutes=30)
    with store.unit_of_work() as uow:
        uow.incidents.update(incident_id, {"state": IncidentState.RESOLVED, "resolved_at": end})
        uow.commit()
    assert due_for_estimate(store, now=end, interval=timedelta(minutes=5)).final == ()
