"""Milestones and durations from a timeline, as the report module's docstring defines them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.domain import (
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    Severity,
    TouchpointState,
)
from monitor.report.milestones import all_operational_at, compute_milestones
from monitor.store.repositories.touchpoints import StatePeriod

T0 = datetime(2026, 10, 3, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def incident(**changes: Any) -> Incident:
    values: dict[str, Any] = {
        "id": 1,
        "title": "Card payments affected",
        "state": IncidentState.RESOLVED,
        "severity": Severity.SEV1,
        "severity_overridden": False,
        "declared": False,
        "opened_at": T0,
        "updated_at": minutes(90),
        "resolved_at": minutes(90),
        "quiet_since": None,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "touchpoints": {},
        "peak_touchpoints": {"card-payments": TouchpointState.MAJOR_OUTAGE},
        "components": ("card-auth",),
        "root_cause_hint": "card-auth",
        "explanation": (),
        "merged_into": None,
        "flapping": False,
        "firing_alerts": 0,
        "total_alerts": 1,
    }
    values.update(changes)
    return Incident(**values)


def ev(at: datetime, kind: EventKind, **data: Any) -> IncidentEvent:
    return IncidentEvent(id=0, incident_id=1, at=at, kind=kind, source="t", summary="", data=data)


def period(touchpoint: str, since: float, until: float | None, state: str) -> StatePeriod:
    end = None if until is None else minutes(until)
    return StatePeriod(touchpoint, TouchpointState(state), minutes(since), end)


def test_every_milestone_is_found_and_the_durations_follow() -> None:
    events = [
        ev(minutes(0), EventKind.OPENED),
        ev(minutes(6), EventKind.MESSAGE_SENT, action="slack_post"),
        ev(minutes(8), EventKind.ACKNOWLEDGED),
        ev(minutes(15), EventKind.PLAYBOOK_STEP, action="webhook"),
        ev(minutes(21), EventKind.PLAYBOOK_STEP, action="customer_message"),
        ev(minutes(30), EventKind.PUBLIC_UPDATE),
        ev(minutes(50), EventKind.STATE_CHANGED, to="monitoring"),
    ]
    result = compute_milestones(
        incident=incident(),
        events=events,
        first_alert=minutes(0),
        first_receipt=minutes(3),
        periods=[period("card-payments", 0, 40, "major_outage")],
    )
    at = {m.key: m.at for m in result.items}
    assert at["detected"] == minutes(3)
    assert at["acknowledged"] == minutes(8)
    assert at["first_internal_message"] == minutes(6)
    assert at["first_customer_communication"] == minutes(21)
    assert at["mitigated"] == minutes(40)  # touchpoints back before the move to monitoring
    assert at["resolved"] == minutes(90)
    d = result.durations
    assert (d.detect, d.acknowledge, d.communicate, d.mitigate, d.resolve) == (
        timedelta(minutes=3),
        timedelta(minutes=5),
        timedelta(minutes=21),
        timedelta(minutes=40),
        timedelta(minutes=90),
    )


def test_detection_recorded_when_opened_wins_and_missing_milestones_stay_empty() -> None:
    events = [ev(minutes(1), EventKind.OPENED, detected_at=minutes(2).isoformat())]
    result = compute_milestones(
        incident=incident(resolved_at=None, state=IncidentState.INVESTIGATING),
        events=events,
        first_alert=minutes(0),
        first_receipt=minutes(3),
        periods=[period("card-payments", 0, None, "major_outage")],
    )
    at = {m.key: m.at for m in result.items}
    assert at["detected"] == minutes(2)
    assert at["acknowledged"] is None
    assert at["mitigated"] is None
    assert result.durations.communicate is None
    assert result.durations.resolve is None


def test_a_move_to_monitoring_mitigates_when_touchpoints_are_still_out() -> None:
    events = [ev(minutes(25), EventKind.STATE_CHANGED, to="monitoring")]
    result = compute_milestones(
        incident=incident(),
        events=events,
        first_alert=None,
        first_receipt=None,
        periods=[period("card-payments", 0, 60, "partial_outage")],
    )
    [mitigated] = [m for m in result.items if m.key == "mitigated"]
    assert (mitigated.at, mitigated.basis) == (minutes(25), "moved to monitoring")


def test_all_clear_is_the_first_gap_in_overlapping_periods_ignoring_others() -> None:
    periods = [
        period("card-payments", 0, 10, "partial_outage"),
        period("card-payments", 10, 30, "major_outage"),
        period("transfers", 20, 35, "degraded_performance"),
        period("transfers", 50, 60, "major_outage"),  # a later relapse: not the first all-clear
        period("check-in", 0, 120, "major_outage"),  # not the incident's touchpoint
        period("card-payments", 35, 200, "under_maintenance"),  # maintenance is not an outage
    ]
    found = all_operational_at(periods, touchpoints={"card-payments", "transfers"}, start=T0)
    assert found == minutes(35)
