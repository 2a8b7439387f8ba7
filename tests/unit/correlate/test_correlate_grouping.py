"""Which incident a new alert belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from correlate_builders import AT, example_catalog, firing

from monitor.correlate import (
    Footprint,
    JoinIncident,
    MergeIncidents,
    OpenIncident,
    OpenNew,
    TopologyState,
    decide,
    unmapped_key,
)

WINDOW = timedelta(minutes=30)


def incident(
    incident_id: int,
    *,
    touchpoints: Iterable[str] = (),
    components: Iterable[str] = (),
    keys: Iterable[str] = (),
    opened_minutes_ago: int = 10,
    active_minutes_ago: int = 5,
) -> OpenIncident:
    return OpenIncident(
        id=incident_id,
        touchpoints=frozenset(touchpoints),
        components=frozenset(components),
        keys=frozenset(keys),
        opened_at=AT - timedelta(minutes=opened_minutes_ago),
        last_activity_at=AT - timedelta(minutes=active_minutes_ago),
    )


def test_database_failure_merges_the_incidents_of_the_touchpoints_it_explains() -> None:
    state = TopologyState(example_catalog(), at=AT)
    card = state.apply(
        firing("a", alertname="CardAuthErrors", service="card-auth", severity="critical")
    )
    checkin = state.apply(
        firing("b", alertname="DcsDown", service="departure-control", severity="critical")
    )
    first = decide(incidents=[], footprint=Footprint.of_change(card), at=AT, window=WINDOW)
    assert isinstance(first, OpenNew)
    open_card = incident(
        1, touchpoints=set(card.impacted), components={"card-auth"}, opened_minutes_ago=4
    )
    second = decide(
        incidents=[open_card], footprint=Footprint.of_change(checkin), at=AT, window=WINDOW
    )
    assert isinstance(second, OpenNew)  # unrelated failures stay apart
    open_checkin = incident(
        2, touchpoints=set(checkin.impacted), components={"departure-control"}, opened_minutes_ago=2
    )
    db = state.apply(
        firing(
            "c", alertname="PostgresDown", service="postgres", role="primary", severity="critical"
        )
    )
    merged = decide(
        incidents=[open_checkin, open_card], footprint=Footprint.of_change(db), at=AT, window=WINDOW
    )
    assert merged == MergeIncidents(into=1, merged=(2,))


def test_alert_sharing_a_touchpoint_joins_the_open_incident() -> None:
    footprint = Footprint(
        touchpoints=frozenset({"check-in"}), components=frozenset({"checkin-svc"})
    )
    open_ = incident(
        7, touchpoints={"check-in", "boarding-passes"}, components={"departure-control"}
    )
    assert decide(incidents=[open_], footprint=footprint, at=AT, window=WINDOW) == JoinIncident(7)


def test_related_incident_outside_the_window_is_not_joined() -> None:
    footprint = Footprint(
        touchpoints=frozenset({"check-in"}), components=frozenset({"checkin-svc"})
    )
    stale = incident(7, touchpoints={"check-in"}, opened_minutes_ago=240, active_minutes_ago=45)
    assert decide(incidents=[stale], footprint=footprint, at=AT, window=WINDOW) == OpenNew(
        footprint
    )


def test_alert_without_touchpoint_impact_groups_by_shared_component() -> None:
    footprint = Footprint(touchpoints=frozenset(), components=frozenset({"db-replica-eu-1"}))
    other = incident(3, components={"db-replica-eu-2"})
    same = incident(4, components={"db-replica-eu-1", "db-replica-eu-2"})
    assert decide(
        incidents=[other, same], footprint=footprint, at=AT, window=WINDOW
    ) == JoinIncident(4)


def test_component_only_alert_does_not_join_on_touchpoint_alone() -> None:
    footprint = Footprint(touchpoints=frozenset(), components=frozenset({"pdf-renderer"}))
    busy = incident(5, touchpoints={"boarding-passes"}, components={"checkin-svc"})
    assert isinstance(decide(incidents=[busy], footprint=footprint, at=AT, window=WINDOW), OpenNew)


def test_unmapped_alerts_group_by_alertname_service_and_job() -> None:
    disk = firing("d1", alertname="DiskFull", service="backup", job="node", instance="h1")
    same_kind = firing("d2", alertname="DiskFull", service="backup", job="node", instance="h2")
    other_kind = firing("d3", alertname="DiskFull", service="ci", job="node")
    held = incident(9, keys={unmapped_key(disk)})
    for alert, expected in ((same_kind, JoinIncident(9)), (other_kind, None)):
        footprint = Footprint.of_alert(alert, touchpoints=(), components=())
        decision = decide(incidents=[held], footprint=footprint, at=AT, window=WINDOW)
        assert decision == (expected or OpenNew(footprint))


def test_merge_keeps_the_oldest_incident_and_lists_the_rest_oldest_first() -> None:
    footprint = Footprint(
        touchpoints=frozenset({"transfers", "payslips"}), components=frozenset({"x"})
    )
    newest = incident(30, touchpoints={"payslips"}, opened_minutes_ago=1)
    oldest = incident(10, touchpoints={"transfers"}, opened_minutes_ago=20)
    middle = incident(20, components={"x"}, opened_minutes_ago=9)
    decision = decide(incidents=[newest, oldest, middle], footprint=footprint, at=AT, window=WINDOW)
    assert decision == MergeIncidents(into=10, merged=(20, 30))
