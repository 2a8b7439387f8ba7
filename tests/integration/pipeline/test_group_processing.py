"""A backlog is processed several batches per transaction, and a bad batch fails alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.pipeline.conftest import Harness, event
from tests.integration.pipeline.test_incident_lifecycle import T0


@pytest.fixture(autouse=True)
def _clock_after_the_alerts(harness: Harness) -> None:
    harness.clock.now = T0 + timedelta(minutes=5)


def _transactions(harness: Harness) -> float:
    registry = harness.runtime.telemetry.registry
    value = registry.get_sample_value("monitor_pipeline_batch_seconds_count")
    return value or 0.0


def test_a_backlog_of_deliveries_is_processed_in_few_transactions(harness: Harness) -> None:
    for n in range(30):
        at = T0 + timedelta(seconds=n)
        harness.post_events([event(f"LedgerErrors{n}", started=at, component="ledger")])

    assert harness.process() == 30

    assert _transactions(harness) == 1
    [incident] = harness.incidents()
    assert incident["firing_alerts"] == 30
    assert set(incident["touchpoints"]) == {"transfers", "overdraft-notifications"}


def test_a_batch_that_cannot_be_processed_fails_alone_and_the_rest_go_through(
    harness: Harness,
) -> None:
    ids = []
    for n in range(5):
        at = T0 + timedelta(seconds=n)
        ids.append(
            harness.post_events([event(f"LedgerErrors{n}", started=at, component="ledger")])[
                "batch_id"
            ]
        )
    with harness.runtime.store.engine.begin() as connection:
        connection.execute(
            text("UPDATE inbox_batches SET alerts_json = 'not json' WHERE id = :id"),
            {"id": ids[2]},
        )

    assert harness.process() == 4

    [incident] = harness.incidents()
    assert incident["firing_alerts"] == 4
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.inbox.pending_sizes(limit=10) == [(ids[2], 1)]
        assert uow.inbox.attempts_of(ids[2]) == 1


def test_the_firing_series_followed_in_memory_match_the_store_through_merges_and_repeats(
    harness: Harness,
) -> None:
    pipeline = harness.runtime.pipeline

    def agree() -> None:
        with harness.runtime.store.unit_of_work() as uow:
            for incident in harness.incidents():
                stored = set(uow.alerts.firing_fingerprints(incident["id"]))
                assert pipeline.firing.of(uow, incident["id"]) == stored
                counted = uow.alerts.counts(incident["id"])
                assert pipeline.firing.counts(uow, incident["id"]) == counted

    card = event("CardAuthErrors", started=T0, service="card-auth")
    harness.post_events([card])
    paycalc = event("PayCalcDown", started=T0, component="payroll-calculator")
    harness.post_events([paycalc])
    harness.process()
    agree()  # both incidents are now followed in memory
    # the same series starts again, a shared database merges both incidents, one resolves
    again = event("CardAuthErrors", started=T0 + timedelta(minutes=1), service="card-auth")
    harness.post_events([again])
    postgres = event("PostgresDown", started=T0 + timedelta(minutes=2), service="postgres")
    harness.post_events([{**postgres, "labels": {"service": "postgres", "role": "primary"}}])
    harness.post_events(
        [{**card, "status": "resolved", "ended_at": (T0 + timedelta(minutes=3)).isoformat()}]
    )
    ended = (T0 + timedelta(minutes=3)).isoformat()
    harness.post_events([{**paycalc, "status": "resolved", "ended_at": ended}])
    harness.process()
    agree()
    [survivor] = [i for i in harness.incidents() if i["merged_into"] is None]
    with harness.runtime.store.unit_of_work() as uow:
        # card-auth (its second start still fires) and postgres; payroll resolved
        assert len(pipeline.firing.of(uow, survivor["id"])) == 2
