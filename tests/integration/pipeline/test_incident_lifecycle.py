"""Incidents open, merge, go quiet, reopen, resolve and recognise flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import Alert, AlertStatus
from tests.integration.pipeline.conftest import Harness, event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_at_the_start(harness: Harness) -> None:
    harness.clock.now = T0 + timedelta(minutes=5)


def test_unrelated_failures_stay_apart(harness: Harness) -> None:
    harness.post_events([event("LedgerDown", started=T0, component="ledger")])
    harness.post_events(
        [event("DcsDown", started=T0 + timedelta(minutes=1), service="departure-control")]
    )
    harness.process()
    incidents = harness.incidents()
    assert len(incidents) == 2
    by_component = {tuple(i["components"]): i for i in incidents}
    assert set(by_component[("ledger",)]["touchpoints"]) == {"transfers", "overdraft-notifications"}
    assert set(by_component[("departure-control",)]["touchpoints"]) == {
        "check-in",
        "boarding-passes",
    }


def test_an_alert_on_a_shared_database_merges_the_incidents_it_explains(
    harness: Harness,
) -> None:
    harness.post_events([event("CardAuthErrors", started=T0, service="card-auth")])
    harness.post_events(
        [event("PayCalcDown", started=T0 + timedelta(minutes=1), component="payroll-calculator")]
    )
    harness.process()
    assert len([i for i in harness.incidents() if i["merged_into"] is None]) == 2
    harness.post_events(
        [
            event(
                "PostgresDown",
                started=T0 + timedelta(minutes=2),
                service="postgres",
                role="primary",
            )
        ]
    )
    harness.process()
    live = [i for i in harness.incidents() if i["merged_into"] is None]
    merged = [i for i in harness.incidents() if i["merged_into"] is not None]
    assert len(live) == 1
    assert len(merged) == 1
    survivor = harness.incident(live[0]["id"])
    assert survivor["firing_alerts"] == 3
    assert survivor["root_cause_hint"] == "db-primary-eu"
    assert "merged" in [e["kind"] for e in survivor["timeline"]]
    # the survivor's timeline now tells the merged incident's story too, in order
    fired = [e for e in survivor["timeline"] if e["kind"] == "alert_fired"]
    assert {e["incident_id"] for e in fired} == {live[0]["id"], merged[0]["id"]}
    assert len(fired) == 3
    times = [e["at"] for e in survivor["timeline"]]
    assert times == sorted(times)
    # the merged incident's timeline stays, and says where it went
    gone = harness.incident(merged[0]["id"])
    assert gone["state"] == "resolved"
    assert gone["timeline"][-1]["kind"] == "merged"


def test_quiet_period_then_reopen_then_resolution(harness: Harness) -> None:
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    harness.process()
    harness.post_events(
        [
            event(
                "IdpDown",
                status="resolved",
                started=T0,
                ended=T0 + timedelta(minutes=4),
                service="idp",
            )
        ]
    )
    harness.process()
    [incident] = harness.incidents()
    assert incident["state"] == "monitoring"
    # the same failure comes back within the quiet period: same incident, reopened
    back = T0 + timedelta(minutes=6)
    harness.post_events([event("IdpDown", started=back, service="idp")])
    harness.process()
    [incident] = harness.incidents()
    assert incident["state"] == "investigating"
    assert "reopened" in [e["kind"] for e in harness.incident(incident["id"])["timeline"]]
    harness.post_events(
        [
            event(
                "IdpDown",
                status="resolved",
                started=back,
                ended=back + timedelta(minutes=1),
                service="idp",
            )
        ]
    )
    harness.clock.now = back + timedelta(minutes=1, seconds=299)
    harness.process()
    assert harness.incidents()[0]["state"] == "monitoring"
    harness.clock.now = back + timedelta(minutes=1, seconds=301)
    harness.process()
    [incident] = harness.incidents()
    assert incident["state"] == "resolved"
    # after resolution, a new failure is a new incident
    harness.clock.now = back + timedelta(hours=1, minutes=1)
    harness.post_events([event("IdpDown", started=back + timedelta(hours=1), service="idp")])
    harness.process()
    assert len(harness.incidents()) == 2


def test_a_flapping_alert_keeps_one_incident_that_does_not_toggle(harness: Harness) -> None:
    start = T0
    for i in range(6):
        began = start + timedelta(minutes=2 * i)
        harness.post_events(
            [event("QueueLag", severity="warning", started=began, service="rabbitmq")]
        )
        harness.post_events(
            [
                event(
                    "QueueLag",
                    severity="warning",
                    status="resolved",
                    started=began,
                    ended=began + timedelta(minutes=1),
                    service="rabbitmq",
                )
            ]
        )
        harness.clock.now = began + timedelta(minutes=1, seconds=30)
        harness.process()
    [incident] = harness.incidents()
    assert incident["flapping"] is True
    assert incident["total_alerts"] == 6
    kinds = [e["kind"] for e in harness.incident(incident["id"])["timeline"]]
    assert kinds.count("flapping") == 1
    # it toggled at most until it was recognised as flapping (threshold 4 starts)
    assert kinds.count("reopened") <= 3
    # a flapping incident waits for the flap window, not just the quiet period
    harness.clock.now += timedelta(minutes=6)
    harness.process()
    assert harness.incidents()[0]["state"] != "resolved"
    harness.clock.now += timedelta(minutes=30)
    harness.process()
    assert harness.incidents()[0]["state"] == "resolved"


def test_alerts_under_maintenance_are_recorded_but_open_nothing(harness: Harness) -> None:
    with harness.runtime.store.unit_of_work() as uow:
        uow.maintenance.add(
            title="IdP upgrade",
            starts_at=T0 - timedelta(hours=1),
            ends_at=T0 + timedelta(hours=2),
            components=["idp"],
            touchpoints=[],
            created_by="ops",
            created_at=T0,
        )
        uow.commit()
    harness.runtime.pipeline.rebuild(now=T0)
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    harness.process()
    assert harness.incidents() == []
    with harness.runtime.store.unit_of_work() as uow:
        [firing] = uow.alerts.firing()
    assert firing.name == "IdpDown"


def test_unmapped_alerts_are_listed_and_grouped_never_dropped(harness: Harness) -> None:
    for i in range(3):
        harness.post_events(
            [
                event(
                    "DiskFull",
                    started=T0 + timedelta(seconds=i),
                    service="legacy-ftp",
                    host=f"h{i}",
                )
            ]
        )
    harness.process()
    unmapped = harness.client.get("/api/v1/alerts/unmapped").json()
    assert sorted(a["labels"]["host"] for a in unmapped) == ["h0", "h1", "h2"]
    assert all(a["unmapped"] for a in unmapped)
    [incident] = harness.incidents()
    assert incident["total_alerts"] == 3
    assert incident["touchpoints"] == {}
    assert incident["severity"] == "sev4"


def test_a_failed_batch_leaves_nothing_and_is_processed_once_later(harness: Harness) -> None:
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    pipeline = harness.runtime.pipeline
    original = pipeline.lifecycle.refresh
    calls = {"n": 0}

    def crash_once(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated crash in the middle of a batch")
        original(*args, **kwargs)  # type: ignore[arg-type]

    pipeline.lifecycle.refresh = crash_once  # type: ignore[method-assign]
    assert harness.process() == 0
    assert harness.incidents() == []
    with harness.runtime.store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 1
        assert uow.alerts.count() == 0
    assert harness.process() == 1
    [incident] = harness.incidents()
    kinds = [e["kind"] for e in harness.incident(incident["id"])["timeline"]]
    assert kinds.count("alert_fired") == 1
    assert kinds.count("opened") == 1


def test_rebuilding_from_the_store_restores_the_same_correlation(harness: Harness) -> None:
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    harness.process()
    before = harness.runtime.pipeline.correlation.result().touchpoints.keys()
    harness.runtime.pipeline.rebuild(now=T0)
    after = harness.runtime.pipeline.correlation.result().touchpoints.keys()
    assert set(before) == set(after)
    assert "mobile-login" in after


def test_an_older_occurrence_resolving_late_does_not_clear_a_newer_one(harness: Harness) -> None:
    newer = T0 + timedelta(minutes=10)
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    harness.post_events([event("IdpDown", started=newer, service="idp")])
    harness.post_events(
        [
            event(
                "IdpDown",
                status="resolved",
                started=T0,
                ended=T0 + timedelta(minutes=1),
                service="idp",
            )
        ]
    )
    harness.process()
    result = harness.runtime.pipeline.correlation.result()
    assert "mobile-login" in result.touchpoints
    with harness.runtime.store.unit_of_work() as uow:
        firing: list[Alert] = uow.alerts.firing()
    assert [a.starts_at for a in firing] == [newer]
    assert all(a.status is AlertStatus.FIRING for a in firing)


def test_a_window_declared_over_the_api_quiets_alerts_on_its_components(harness: Harness) -> None:
    created = harness.client.post(
        "/api/v1/maintenances",
        json={
            "title": "Identity provider upgrade",
            "starts_at": (T0 - timedelta(minutes=5)).isoformat(),
            "ends_at": (T0 + timedelta(hours=1)).isoformat(),
            "components": ["idp"],
            "created_by": "ops",
        },
    )
    assert created.status_code == 201, created.text
    assert [w["title"] for w in harness.client.get("/api/v1/maintenances").json()] == [
        "Identity provider upgrade"
    ]
    harness.post_events([event("IdpDown", started=T0, service="idp")])
    harness.post_events([event("LedgerDown", started=T0, component="ledger")])
    harness.process()
    [incident] = harness.incidents()
    assert incident["components"] == ["ledger"]
    # after the window, the same failure pages again
    harness.clock.now = T0 + timedelta(hours=2)
    later = T0 + timedelta(hours=1, minutes=30)
    harness.post_events([event("IdpDown", started=later, service="idp")])
    harness.process()
    assert any(i["components"] == ["idp"] for i in harness.incidents())


def test_bad_maintenance_windows_are_refused(harness: Harness) -> None:
    base = {"title": "Upgrade", "created_by": "ops", "components": ["idp"]}
    backwards = {**base, "starts_at": T0.isoformat(), "ends_at": (T0 - timedelta(1)).isoformat()}
    naive = {**base, "starts_at": "2026-11-25T10:00:00", "ends_at": "2026-11-25T11:00:00"}
    unknown = {**base, "components": ["teleporter"], "starts_at": T0.isoformat()}
    unknown["ends_at"] = (T0 + timedelta(hours=1)).isoformat()
    assert harness.client.post("/api/v1/maintenances", json=backwards).status_code == 400
    assert harness.client.post("/api/v1/maintenances", json=naive).status_code == 422
    response = harness.client.post("/api/v1/maintenances", json=unknown)
    assert response.status_code == 400
    assert "teleporter" in response.json()["error"]["message"]


def test_alerts_of_one_delivery_that_share_a_touchpoint_form_one_incident(
    harness: Harness,
) -> None:
    harness.post_events(
        [
            event("CardAuthDown", started=T0, component="card-auth"),
            event("CardNetworkDown", started=T0, component="payment-network-gateway"),
        ]
    )
    harness.process()
    [incident] = harness.incidents()
    assert incident["components"] == ["card-auth", "payment-network-gateway"]
    assert incident["touchpoints"]["card-payments"] == "major_outage"


def test_an_incident_goes_quiet_when_its_last_alert_resolves_across_a_rebuild(
    harness: Harness,
) -> None:
    names = ["IdpDown", "IdpLatency", "IdpErrors"]
    harness.post_events([event(n, started=T0, service="idp") for n in names])
    harness.process()
    [incident] = harness.incidents()
    assert incident["firing_alerts"] == 3

    def resolve(name: str) -> dict[str, object]:
        ended = T0 + timedelta(minutes=2)
        resolved = event(name, status="resolved", started=T0, ended=ended, service="idp")
        harness.post_events([resolved])
        harness.process()
        return harness.incident(incident["id"])

    assert resolve("IdpDown")["state"] == "investigating"
    # a restart forgets which alerts fire in memory: the next resolution counts them again
    harness.runtime.pipeline.rebuild(now=T0 + timedelta(minutes=3))
    after_rebuild = resolve("IdpLatency")
    assert (after_rebuild["state"], after_rebuild["firing_alerts"]) == ("investigating", 1)
    last = resolve("IdpErrors")
    assert (last["state"], last["firing_alerts"]) == ("monitoring", 0)
    assert [e["kind"] for e in last["timeline"]].count("alerts_quiet") == 1
