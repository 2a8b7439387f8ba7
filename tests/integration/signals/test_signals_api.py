"""``POST /api/v1/signals``: accepted, refused, pseudonymised, joined, followed up, purged."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from monitor.services.signals import pseudonym_key
from monitor.signals import pseudonymise
from tests.integration.pipeline.conftest import Harness, event
from tests.integration.signals.conftest import post_signals, watching_since

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def complaint(at: datetime, customer: str, words: str = "Card declined again!!") -> dict[str, Any]:
    return {
        "source": "zendesk",
        "time": at.isoformat(),
        "channel": "chat",
        "text": words,
        "customer": customer,
    }


def stored(harness: Harness) -> list[dict[str, Any]]:
    with harness.runtime.store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM signals ORDER BY id"))
        return [dict(r._mapping) for r in rows]


def test_one_signal_or_a_batch_is_accepted_attributed_and_pseudonymised(
    harness: Harness,
) -> None:
    harness.clock.now = NOW
    one = harness.client.post("/api/v1/signals", json=complaint(NOW, "C021719"))
    assert one.status_code == 200, one.text
    assert one.json()["accepted"] == 1
    post_signals(
        harness,
        [
            complaint(NOW, "C000002", "Salaire pas reçu !"),
            {
                "source": "survey",
                "time": NOW.isoformat(),
                "channel": "survey",
                "score": 2,
                "score_kind": "nps",
                "touchpoint": "transfers",
            },
        ],
    )
    rows = stored(harness)
    assert [r["touchpoint"] for r in rows] == ["card-payments", "payroll-monthly-run", "transfers"]
    assert rows[0]["attributed_by"] == "rule:card-payments:en:card declined"
    assert rows[1]["attributed_by"] == "rule:payroll-monthly-run:fr:salaire pas reçu"
    assert rows[2]["attributed_by"] == "explicit"
    key = pseudonym_key(harness.runtime.settings)
    assert rows[0]["customer_ref_digest"] == pseudonymise("C021719", key=key)
    assert "C021719" not in str(rows)
    key_file = harness.runtime.settings.data_dir / "pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_bad_signals_are_refused_one_by_one_with_their_location(harness: Harness) -> None:
    harness.clock.now = NOW
    response = harness.client.post(
        "/api/v1/signals",
        json={
            "signals": [
                complaint(NOW, "C1"),
                {**complaint(NOW, "C2"), "time": "2026-11-25T12:00:00"},
                {**complaint(NOW, "C3"), "score": 12, "score_kind": "nps"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["reason"].startswith("signals[1].time: needs a time zone")
    assert body["rejected"][1]["reason"].startswith("signals[2].score:")
    assert body["rejected_payload_id"] is not None

    nothing = harness.client.post("/api/v1/signals", json={"source": "x", "channel": "chat"})
    assert nothing.status_code == 422
    assert nothing.json()["error"]["rejected"][0]["reason"] == "signal.time: required"
    assert harness.client.post("/api/v1/signals", content=b"{nope").status_code == 400
    assert harness.client.post("/api/v1/signals", json=[1, 2]).status_code == 400
    assert harness.client.post("/api/v1/signals", json={"signals": []}).status_code == 400
    assert len(stored(harness)) == 1


def test_a_single_angry_customer_opens_no_incident(harness: Harness) -> None:
    watching_since(harness, NOW - timedelta(days=29))
    harness.clock.now = NOW
    post_signals(harness, [complaint(NOW + timedelta(minutes=i), "C042") for i in range(6)])
    post_signals(harness, [complaint(NOW, "C043", "Carte refusée, c'est inadmissible")])
    for _ in range(40):
        harness.clock.advance(minutes=1)
        harness.process()
    assert harness.incidents() == []


def test_a_low_score_from_an_affected_customer_asks_for_a_follow_up(harness: Harness) -> None:
    harness.clock.now = NOW
    harness.post_events([event("CardNetworkDown", started=NOW, service="card-network-gateway")])
    harness.process()
    [incident] = harness.incidents()
    harness.clock.advance(minutes=5)
    post_signals(harness, [complaint(NOW + timedelta(minutes=3), "C077")])
    harness.clock.advance(minutes=1)
    harness.process()
    survey = {
        "source": "survey",
        "time": harness.clock.now.isoformat(),
        "channel": "email",
        "score": 1,
        "score_kind": "nps",
        "customer": "C077",
    }
    post_signals(harness, [survey, {**survey, "score": 9, "customer": "C078"}])
    harness.clock.advance(minutes=1)
    harness.process()

    timeline = harness.incident(incident["id"])["timeline"]
    [follow_up] = [e for e in timeline if e["kind"] == "customer_signal"]
    key = pseudonym_key(harness.runtime.settings)
    assert follow_up["data"]["kind"] == "low_score"
    assert follow_up["data"]["customer_ref"] == pseudonymise("C077", key=key)
    assert follow_up["data"]["score"] == 1
    assert "C077" not in str(follow_up)
    summary = harness.client.get(f"/api/v1/incidents/{incident['id']}/signals").json()
    assert summary["signals"] == 1
    assert summary["by_touchpoint_and_source"] == {"card-payments": {"zendesk": 1}}


def test_text_is_removed_after_the_retention_period(harness: Harness) -> None:
    harness.clock.now = NOW
    post_signals(harness, [complaint(NOW, "C1")])
    harness.clock.advance(days=29)
    harness.process()
    assert stored(harness)[0]["text"] == "Card declined again!!"
    harness.clock.advance(days=2)
    harness.process()
    [row] = stored(harness)
    assert row["text"] is None
    assert row["touchpoint"] == "card-payments"
