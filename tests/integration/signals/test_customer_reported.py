"""The simulated company's complaints confirm outages and reveal silent ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.integration.pipeline.conftest import Harness, event
from tests.integration.signals.conftest import Complaints, Replay, watching_since

FAULT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PLAYBOOK = """
id: customer-reports
name: Customers report a problem
trigger: {customer_reported: true}
steps:
  - id: tell-support
    slack:
      channel: "#payments"
      text: "Customers report problems: {{ incident.title }} ({{ incident.severity }})"
"""


def customer_events(harness: Harness, incident_id: int) -> list[dict[str, Any]]:
    timeline = harness.incident(incident_id)["timeline"]
    return [e for e in timeline if e["kind"] == "customer_signal"]


def test_an_outage_is_confirmed_by_a_complaint_spike_within_minutes(
    harness: Harness, card_outage: Complaints
) -> None:
    watching_since(harness, FAULT - timedelta(days=29))
    harness.clock.now = FAULT
    harness.post_events([event("CardNetworkDown", started=FAULT, service="card-network-gateway")])
    harness.process()
    [incident] = harness.incidents()
    assert "card-payments" in incident["touchpoints"]

    confirmed_at: list[datetime] = []

    def check() -> None:
        if not confirmed_at and customer_events(harness, incident["id"]):
            confirmed_at.append(harness.clock.now)

    replay = Replay(harness, card_outage, shift=FAULT - card_outage.fault_at)
    replay.until(FAULT + timedelta(minutes=30), on_minute=check)

    assert confirmed_at, "no spike confirmed the outage"
    assert confirmed_at[0] - FAULT <= timedelta(minutes=15)
    [spike] = customer_events(harness, incident["id"])
    assert spike["data"]["confirms_incident"] is True
    assert spike["data"]["touchpoint"] == "card-payments"
    assert spike["data"]["observed_customers"] >= 3
    assert spike["data"]["p_value"] < 1e-4
    assert "expected" in spike["summary"]
    assert len(harness.incidents()) == 1, "the spike joined the alert's incident"
    signals = harness.client.get(f"/api/v1/incidents/{incident['id']}/signals").json()
    assert signals["by_touchpoint"]["card-payments"] >= 3
    assert signals["by_source"] == {"contact-centre": signals["signals"]}
    assert signals["samples"]
    assert "customer" not in str(signals["samples"]).lower().replace("customers", "")


def test_a_silent_degradation_is_found_from_complaints_alone(
    make_harness: Any, slow_database: Complaints, tmp_path: Path
) -> None:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "customer-reports.yaml").write_text(PLAYBOOK)
    harness = make_harness(playbooks_dir=playbooks)
    watching_since(harness, FAULT - timedelta(days=29))
    harness.clock.now = FAULT
    harness.process()
    replay = Replay(harness, slow_database, shift=FAULT - slow_database.fault_at)
    first_complaint = slow_database.records[0]["time"] + replay.shift
    replay.until(first_complaint + timedelta(minutes=20))

    incidents = harness.incidents()
    assert incidents, "the complaints opened no incident"
    card = next(i for i in incidents if "card-payments" in i["touchpoints"])
    assert card["severity"] == "sev3"
    assert card["declared"] is False
    detail = harness.incident(card["id"])
    opened = detail["timeline"][0]
    assert opened["kind"] == "opened"
    assert opened["source"] == "signals"
    assert "expected" in opened["summary"]
    assert "sev3 until" in opened["summary"]
    assert opened["data"]["customer_reported"] is True
    assert opened["data"]["observed_customers"] >= 3
    assert any(e["kind"] == "playbook_step" for e in detail["timeline"])
    assert datetime.fromisoformat(card["opened_at"]) - first_complaint <= timedelta(minutes=15)


def test_a_customer_reported_incident_resolves_once_complaints_stop(
    harness: Harness, card_outage: Complaints
) -> None:
    watching_since(harness, FAULT - timedelta(days=29))
    replay = Replay(harness, card_outage, shift=FAULT - card_outage.fault_at)
    harness.clock.now = FAULT
    replay.until(FAULT + timedelta(minutes=40))
    [incident] = harness.incidents()
    assert incident["state"] == "investigating"
    # no more complaints: two calm hours after the spike ended, it resolves
    harness.clock.advance(hours=3)
    harness.process()
    resolved = harness.incident(incident["id"])
    assert resolved["state"] == "resolved"
    assert resolved["timeline"][-1]["source"] == "signals"
    assert "no alert fired" in resolved["timeline"][-1]["summary"]
