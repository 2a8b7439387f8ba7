"""The shipped playbooks write the post-incident report at resolution, from the final estimate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.domain import EventKind
from tests.integration.comms.conftest import CommsHarness
from tests.integration.pipeline.conftest import event
from tests.integration.report.test_incident_report import _estimate

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_at_the_start(comms: CommsHarness) -> None:
    comms.clock.now = T0 + timedelta(minutes=1)


def _resolved_card_outage(comms: CommsHarness) -> int:
    comms.post_events([event("LedgerDown", started=T0, component="ledger")])
    comms.process()
    (incident,) = comms.incidents()
    comms.clock.advance(minutes=20)
    comms.click("resolve", str(incident["id"]), user="bob")
    comms.process()
    return int(incident["id"])


def _final_estimate(comms: CommsHarness, incident_id: int) -> None:
    data = _estimate(final=True, end=comms.clock.now, card=1240, booking=130)
    with comms.runtime.store.unit_of_work() as uow:
        uow.incidents.add_event(
            incident_id,
            at=comms.clock.now,
            kind=EventKind.ESTIMATE_UPDATED,
            source="estimate",
            summary="final estimate",
            data=data,
        )
        uow.commit()


def _report_steps(comms: CommsHarness, incident_id: int) -> list[dict[str, Any]]:
    steps = comms.incident(incident_id)["playbook_steps"]
    return [s for s in steps if s["action"] == "report"]


def test_the_report_step_waits_for_the_final_estimate_then_writes_the_report(
    comms: CommsHarness,
) -> None:
    incident_id = _resolved_card_outage(comms)
    [step] = _report_steps(comms, incident_id)
    assert (step["playbook"], step["status"]) == ("card-payments-transfers", "pending")
    assert comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json() == []

    comms.clock.advance(minutes=2)
    _final_estimate(comms, incident_id)
    comms.clock.advance(minutes=1)
    comms.process()

    [written] = comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json()
    assert written["final"] is True
    [step] = _report_steps(comms, incident_id)
    assert step["status"] == "sent"
    timeline = comms.incident(incident_id)["timeline"]
    assert any(
        e["kind"] == "playbook_step" and f"report #{written['id']} written" in e["summary"]
        for e in timeline
    )
    stored = comms.client.get(f"/api/v1/incidents/{incident_id}/report?stored=true&format=json")
    assert stored.json()["estimate_status"] == "final"
    # neither the step nor the worker's safety net writes it a second time
    comms.clock.advance(hours=1)
    comms.process()
    assert len(comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json()) == 1


def test_without_a_final_estimate_the_step_writes_a_provisional_report_after_its_wait(
    comms: CommsHarness,
) -> None:
    incident_id = _resolved_card_outage(comms)
    comms.clock.advance(minutes=14)
    comms.process()
    assert comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json() == []

    comms.clock.advance(minutes=2)
    comms.process()
    [provisional] = comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json()
    assert provisional["final"] is False
    assert _report_steps(comms, incident_id)[0]["status"] == "sent"

    # a final estimate that comes later still reaches a report
    _final_estimate(comms, incident_id)
    comms.clock.advance(minutes=1)
    comms.process()
    reports = comms.client.get(f"/api/v1/incidents/{incident_id}/reports").json()
    assert sorted(r["final"] for r in reports) == [False, True]


def test_a_report_step_outside_on_resolve_is_refused_with_its_location(tmp_path: Any) -> None:
    from monitor.catalog import load_catalog
    from monitor.errors import ConfigError
    from monitor.playbooks import load_playbooks
    from tests.conftest import REPO

    (tmp_path / "early.yaml").write_text(
        "id: early\nname: Early\ntrigger: {}\nsteps:\n  - id: report\n    report: {}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_playbooks(tmp_path, load_catalog(REPO / "examples" / "catalog.yaml"))
    assert "early.yaml" in str(caught.value.problems[0])
    assert "on_resolve" in str(caught.value.problems[0])
