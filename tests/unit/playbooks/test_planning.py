"""Triggers and planning: pure functions from an incident view to intents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.catalog import Catalog, load_catalog
from monitor.domain import IncidentState, IntentAction, Severity, TouchpointState
from monitor.playbooks import IncidentView, PlaybookSet, load_playbooks, plan_incident, plan_timer
from monitor.playbooks.context import sample_view
from monitor.playbooks.schema import TimeSpec, TriggerSpec
from monitor.playbooks.triggers import matching_touchpoints, time_matches
from tests.conftest import EXAMPLE_CATALOG, REPO

AT = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE_CATALOG)


@pytest.fixture(scope="module")
def book(catalog: Catalog) -> PlaybookSet:
    return load_playbooks(REPO / "playbooks", catalog)


def view(
    catalog: Catalog, touchpoints: dict[str, TouchpointState], **changes: object
) -> IncidentView:
    base = sample_view(catalog, now=AT)
    incident = replace(
        base.incident,
        touchpoints=touchpoints,
        peak_touchpoints=touchpoints,
        opened_at=AT,
        **changes,
    )
    return replace(base, incident=incident, estimate=None, unmapped_alerts=())


def test_a_pending_estimate_never_meets_a_threshold(catalog: Catalog) -> None:
    trigger = TriggerSpec(affected_customers_above=0)
    pending = view(catalog, {"transfers": TouchpointState.MAJOR_OUTAGE})
    assert matching_touchpoints(trigger, pending, catalog) is None
    estimated = replace(
        pending,
        estimate={
            "touchpoints": {
                "transfers": {"affected_customers": {"estimate": 5, "low": 1, "high": 9}}
            }
        },
    )
    assert matching_touchpoints(trigger, estimated, catalog) == ["transfers"]


def test_segments_states_severity_and_duration_narrow_the_match(catalog: Catalog) -> None:
    v = view(
        catalog,
        {
            "payslips": TouchpointState.DEGRADED_PERFORMANCE,
            "transfers": TouchpointState.MAJOR_OUTAGE,
        },
        severity=Severity.SEV2,
    )
    assert matching_touchpoints(TriggerSpec(segments=["premium"]), v, catalog) == ["transfers"]
    assert matching_touchpoints(
        TriggerSpec(states=[TouchpointState.DEGRADED_PERFORMANCE]), v, catalog
    ) == ["payslips"]
    assert matching_touchpoints(TriggerSpec(severity=Severity.SEV1), v, catalog) is None
    assert matching_touchpoints(TriggerSpec(duration_minutes_above=10), v, catalog) is None
    later = replace(v, now=AT + timedelta(minutes=11))
    assert matching_touchpoints(TriggerSpec(duration_minutes_above=10), later, catalog) is not None


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 2, 28, 10, 0, tzinfo=UTC), True),  # last day of February
        (datetime(2026, 2, 27, 10, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), False),  # already 1 April in Paris
    ],
)
def test_pay_day_is_the_last_day_of_the_month_in_local_time(at: datetime, expected: bool) -> None:
    assert time_matches(TimeSpec(days_of_month=[-1], timezone="Europe/Paris"), at) is expected


def test_planning_twice_yields_the_same_keys_and_nothing_new(
    catalog: Catalog, book: PlaybookSet
) -> None:
    v = view(catalog, {"transfers": TouchpointState.MAJOR_OUTAGE})
    first = plan_incident(book, v, catalog, planned=())
    assert first.triggered == ["card-payments-transfers"]
    keys = [i.key for i in first.intents]
    assert len(keys) == len(set(keys))
    again = plan_incident(book, replace(v, now=AT + timedelta(minutes=3)), catalog, planned=())
    assert [i.key for i in again.intents] == keys
    assert plan_incident(book, v, catalog, planned=set(keys)).intents == []
    drafts = [i for i in first.intents if i.action is IntentAction.CUSTOMER_MESSAGE]
    assert {d.payload["segment"] for d in drafts} == {"retail", "business", "premium"}
    assert all(d.needs_approval for d in drafts)


def test_the_generic_playbook_runs_only_when_no_other_matches(
    catalog: Catalog, book: PlaybookSet
) -> None:
    specific = plan_incident(
        book, view(catalog, {"transfers": TouchpointState.MAJOR_OUTAGE}), catalog, planned=()
    )
    assert "generic" not in {i.playbook for i in specific.intents}
    other = plan_incident(
        book, view(catalog, {"mobile-login": TouchpointState.MAJOR_OUTAGE}), catalog, planned=()
    )
    assert {i.playbook for i in other.intents} == {"generic"}


def test_a_repeat_timer_stops_at_its_state_and_plans_the_next_one(
    catalog: Catalog, book: PlaybookSet
) -> None:
    v = view(catalog, {"transfers": TouchpointState.MAJOR_OUTAGE})
    timer = next(
        i
        for i in plan_incident(book, v, catalog, planned=()).intents
        if i.action is IntentAction.TIMER and i.payload["kind"] == "repeat"
    )
    assert timer.due_at == AT + timedelta(minutes=30)
    fired = plan_timer(book, replace(v, now=timer.due_at), catalog, timer=timer, planned=())
    actions = [i.action for i in fired.intents]
    assert actions == [IntentAction.SLACK_POST, IntentAction.TIMER]
    assert fired.intents[1].due_at == AT + timedelta(minutes=60)
    done = replace(v, incident=replace(v.incident, state=IncidentState.RESOLVED))
    assert plan_timer(book, done, catalog, timer=timer, planned=()).intents == []


def test_resolution_plans_the_on_resolve_steps_of_started_playbooks(
    catalog: Catalog, book: PlaybookSet
) -> None:
    v = view(catalog, {"transfers": TouchpointState.MAJOR_OUTAGE})
    started = {i.key for i in plan_incident(book, v, catalog, planned=()).intents}
    resolved = replace(
        v, incident=replace(v.incident, state=IncidentState.RESOLVED, resolved_at=AT)
    )
    closing = plan_incident(book, resolved, catalog, planned=started).intents
    assert [i.action for i in closing] == [
        IntentAction.REPORT,
        IntentAction.WEBHOOK,
        IntentAction.EXPORT_CUSTOMER_IDS,
        IntentAction.SLACK_POST,
    ]
    assert plan_incident(book, resolved, catalog, planned=()).intents == []
