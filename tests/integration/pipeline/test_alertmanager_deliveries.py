"""Real Alertmanager payloads, duplicated, reordered and replayed, give one incident per failure."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.integration.pipeline.conftest import Harness
from tests.support.payloads import capture_time, captured_payloads

PAYLOADS = captured_payloads()
FIRING = PAYLOADS["postgres-down-firing"]
RESOLVED = PAYLOADS["postgres-down-resolved"]


@pytest.fixture(autouse=True)
def _just_after_the_capture(harness: Harness) -> None:
    harness.clock.now = capture_time(RESOLVED)


def _kinds(harness: Harness, incident_id: int) -> list[str]:
    return [e["kind"] for e in harness.incident(incident_id)["timeline"]]


def test_a_firing_postgres_primary_opens_one_sev1_incident_naming_the_touchpoints(
    harness: Harness,
) -> None:
    harness.post_alertmanager(FIRING)
    assert harness.process() == 1
    [incident] = harness.incidents()
    assert incident["severity"] == "sev1"
    assert incident["state"] == "investigating"
    assert incident["touchpoints"]["card-payments"] == "major_outage"
    assert incident["touchpoints"]["payroll-monthly-run"] == "major_outage"
    assert incident["root_cause_hint"] == "db-primary-eu"
    assert any("db-primary-eu (alert PostgresDown)" in line for line in incident["explanation"])
    assert incident["firing_alerts"] == 1


@pytest.mark.parametrize("order", list(itertools.permutations(["f", "f", "r", "r"])))
def test_duplicates_from_replicas_in_any_order_give_one_incident_or_none(
    harness: Harness, order: tuple[str, ...]
) -> None:
    for step in order:
        harness.post_alertmanager(FIRING if step == "f" else RESOLVED)
        harness.process()
    incidents = harness.incidents()
    if order[0] == "r":
        # The resolution overtook every firing: nothing to open, nothing left behind.
        assert incidents == []
        return
    [incident] = incidents
    kinds = _kinds(harness, incident["id"])
    assert kinds.count("alert_fired") == 1
    assert kinds.count("alert_resolved") == 1
    assert incident["state"] == "monitoring"
    assert incident["firing_alerts"] == 0


def test_resolved_before_firing_leaves_no_ghost_incident(harness: Harness) -> None:
    harness.post_alertmanager(RESOLVED)
    harness.post_alertmanager(FIRING)
    harness.process()
    assert harness.incidents() == []
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.alerts.firing() == []
        assert uow.alerts.count() == 1


def test_replaying_the_whole_capture_changes_nothing(harness: Harness) -> None:
    bodies = list(PAYLOADS.values())
    for body in bodies:
        harness.post_alertmanager(body)
    harness.process()
    first = [(i["id"], i["state"], i["total_alerts"]) for i in harness.incidents()]
    timelines = {i["id"]: _kinds(harness, i["id"]) for i in harness.incidents()}
    shuffled = bodies * 3
    random.Random(7).shuffle(shuffled)
    for body in shuffled:
        harness.post_alertmanager(body)
    harness.process()
    assert [(i["id"], i["state"], i["total_alerts"]) for i in harness.incidents()] == first
    assert {i["id"]: _kinds(harness, i["id"]) for i in harness.incidents()} == timelines


def test_every_accepted_delivery_is_kept_in_the_inbox(harness: Harness) -> None:
    for _ in range(3):
        harness.post_alertmanager(FIRING)
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 3
        assert uow.inbox.count_alerts() == 3
    harness.process()
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 0
        assert uow.alerts.count() == 1
