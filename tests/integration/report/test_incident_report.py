"""Post-incident reports built from an incident driven through the API, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.domain import EventKind
from monitor.report import due_reports
from monitor.services.tokens import create_token
from tests.integration.pipeline.conftest import Clock, Harness, TestClient, event, settings_for

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
CUSTOMER_REFS = ("cust-884213", "C0077231", "jane.doe@example.com", "FR7630006000011234567890189")


def _figure(estimate: int, low: int, high: int) -> dict[str, Any]:
    return {"estimate": estimate, "low": low, "high": high, "level": 0.9}


def _estimate(*, final: bool, end: datetime, card: int, booking: int) -> dict[str, Any]:
    def tp(n: int) -> dict[str, Any]:
        return {
            "affected_customers": _figure(n, n - n // 10, n + n // 10),
            "affected_so_far": _figure(n, n - n // 10, n + n // 10),
            "failed_interactions": _figure(4 * n, 4 * n - 40, 4 * n + 40),
            "exposed_customers": None,
            "methods": ["prometheus_traffic"],
            "quality": ["traffic from Prometheus"],
            # what a careless estimator might leave behind: must never reach a report
            "sample_customers": [CUSTOMER_REFS[0], CUSTOMER_REFS[1]],
        }

    return {
        "final": final,
        "window": {"start": T0.isoformat(), "end": end.isoformat()},
        "touchpoints": {"card-payments": tp(card), "flight-booking": tp(booking)},
        "customer_ref": CUSTOMER_REFS[2],
    }


def _add_event(
    harness: Harness, *, at: datetime, kind: EventKind, incident_id: int = 1, **data: Any
) -> None:
    with harness.runtime.store.unit_of_work() as uow:
        uow.incidents.add_event(
            incident_id,
            at=at,
            kind=kind,
            source="test",
            summary=str(data.pop("summary", kind)),
            data=data,
        )
        uow.commit()


def _incident(harness: Harness) -> None:
    """CardAuthDown at T0, received 2 min later; ack, Slack, update, estimates, fixed at 45 min."""
    harness.clock.now = T0 + timedelta(minutes=2)
    harness.post_events([event("CardAuthDown", started=T0, component="card-auth")])
    harness.process()
    harness.clock.now = T0 + timedelta(minutes=4)
    _add_event(
        harness,
        at=harness.clock.now,
        kind=EventKind.MESSAGE_SENT,
        summary="payments head: slack_post in #payments sent",
        action="slack_post",
        channel="#payments",
        result={"ts": "1.2"},
    )
    harness.clock.now = T0 + timedelta(minutes=5)
    ack = harness.client.patch("/api/v1/incidents/1", json={"by": "alice", "acknowledge": True})
    assert ack.status_code == 200, ack.text
    harness.clock.now = T0 + timedelta(minutes=10)
    live = _estimate(final=False, end=harness.clock.now, card=400, booking=50)
    _add_event(harness, at=harness.clock.now, kind=EventKind.ESTIMATE_UPDATED, **live)
    harness.clock.now = T0 + timedelta(minutes=12)
    update = harness.client.post(
        "/api/v1/incidents/1/updates",
        json={"by": "comms", "message_en": "Card payments are failing; we are on it."},
    )
    assert update.status_code == 201, update.text
    harness.clock.now = T0 + timedelta(minutes=20)
    note = f"Customer {CUSTOMER_REFS[1]} ({CUSTOMER_REFS[2]}) says IBAN {CUSTOMER_REFS[3]} failed"
    assert harness.client.patch("/api/v1/incidents/1", json={"by": "bob", "note": note}).is_success
    harness.clock.now = T0 + timedelta(minutes=45)
    ended = T0 + timedelta(minutes=45)
    harness.post_events(
        [event("CardAuthDown", status="resolved", started=T0, ended=ended, component="card-auth")]
    )
    harness.process()
    harness.clock.now = T0 + timedelta(minutes=60)
    resolve = harness.client.patch("/api/v1/incidents/1", json={"by": "alice", "state": "resolved"})
    assert resolve.status_code == 200, resolve.text


def _final(harness: Harness) -> dict[str, Any]:
    harness.clock.now = T0 + timedelta(minutes=61)
    final = _estimate(final=True, end=T0 + timedelta(minutes=60), card=1240, booking=130)
    _add_event(harness, at=harness.clock.now, kind=EventKind.ESTIMATE_UPDATED, **final)
    return final


def test_the_report_carries_the_stored_estimates_and_every_milestone(harness: Harness) -> None:
    _incident(harness)
    final = _final(harness)
    response = harness.client.get("/api/v1/incidents/1/report", params={"format": "json"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["estimate_status"] == "final"
    impacts = {i["touchpoint"]: i for i in report["impacts"]}
    assert set(impacts) == {"card-payments", "flight-booking"}
    for tp, figures in final["touchpoints"].items():
        assert impacts[tp]["affected"] == figures["affected_customers"]
        assert impacts[tp]["failed_interactions"] == figures["failed_interactions"]
        assert impacts[tp]["exposed"] is None
        assert impacts[tp]["methods"] == ["prometheus_traffic"]
        assert impacts[tp]["by_segment"] == []
    milestones = {m["key"]: m["at"] for m in report["milestones"]["items"]}
    assert milestones == {
        "impact_start": T0.isoformat(),
        "detected": (T0 + timedelta(minutes=2)).isoformat(),
        "first_alert": T0.isoformat(),
        "acknowledged": (T0 + timedelta(minutes=5)).isoformat(),
        "first_internal_message": (T0 + timedelta(minutes=4)).isoformat(),
        "first_customer_communication": (T0 + timedelta(minutes=12)).isoformat(),
        "mitigated": (T0 + timedelta(minutes=45)).isoformat(),
        "resolved": (T0 + timedelta(minutes=60)).isoformat(),
    }
    assert report["milestones"]["durations"] == {
        "detect": 120.0,
        "acknowledge": 180.0,
        "communicate": 720.0,
        "mitigate": 2700.0,
        "resolve": 3600.0,
    }
    assert "about 1,240 customers (between 1,116 and 1,364)" in report["summary"]
    assert "12 minutes after the problem began" in report["summary"]
    kinds = [e["kind"] for e in report["timeline"]]
    for kind in ("opened", "alert_fired", "acknowledged", "message_sent", "public_update"):
        assert kind in kinds
    assert [c["channel"] for c in report["communications"]] == ["slack", "status_page"]
    assert [a["name"] for a in report["alerts"]] == ["CardAuthDown"]
    assert "card-auth" in [c["id"] for c in report["components"]]
    html = harness.client.get("/api/v1/incidents/1/report", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.count("<svg") == 2
    markdown = harness.client.get("/api/v1/incidents/1/report", params={"format": "md"}).text
    assert "| Card payments | major outage | 1,240 | 1,116–1,364 |" in markdown
    assert "Blameless review" in markdown


def test_no_customer_reference_reaches_any_report(harness: Harness) -> None:
    _incident(harness)
    _final(harness)
    harness.process()
    bodies = [
        harness.client.get("/api/v1/incidents/1/report", params={"format": f}).text
        for f in ("md", "html", "json")
    ]
    stored = harness.client.get("/api/v1/incidents/1/report", params={"stored": "true"})
    bodies.append(stored.text)
    with harness.runtime.store.unit_of_work() as uow:
        [kept] = uow.reports.of_incident(1)
    bodies += [kept.markdown, kept.html, json.dumps(kept.body)]
    # the timeline itself does hold them: the report is what filters them out
    assert CUSTOMER_REFS[1] in json.dumps(harness.incident(1)["timeline"])
    for body in bodies:
        for ref in CUSTOMER_REFS:
            assert ref not in body
        assert "0077231" not in body


def test_the_worker_writes_the_report_once_the_final_estimate_is_in(harness: Harness) -> None:
    _incident(harness)
    harness.clock.now = T0 + timedelta(minutes=61)
    harness.process()
    assert harness.client.get("/api/v1/incidents/1/reports").json() == []
    _final(harness)
    harness.process()
    harness.process()
    [written] = harness.client.get("/api/v1/incidents/1/reports").json()
    assert written["final"] is True
    timeline = harness.incident(1)["timeline"]
    [announced] = [e for e in timeline if e["kind"] == "report_written"]
    assert announced["data"] == {
        "report_id": written["id"],
        "final": True,
        "path": "/api/v1/incidents/1/report",
    }
    stored = harness.client.get("/api/v1/incidents/1/report?stored=true&format=json").json()
    assert stored["estimate_status"] == "final"
    assert {i["affected"]["estimate"] for i in stored["impacts"]} == {1240, 130}


def test_without_a_final_estimate_the_report_waits_then_is_written_provisional(
    harness: Harness,
) -> None:
    _incident(harness)
    harness.clock.now = T0 + timedelta(minutes=74)
    harness.process()
    assert harness.client.get("/api/v1/incidents/1/reports").json() == []
    harness.clock.now = T0 + timedelta(minutes=76)
    harness.process()
    [written] = harness.client.get("/api/v1/incidents/1/reports").json()
    assert written["final"] is False
    report = harness.client.get("/api/v1/incidents/1/report?stored=true&format=json").json()
    assert report["estimate_status"] == "provisional"
    assert "provisional" in report["summary"]


def _short_incident(harness: Harness, name: str, *, component: str, at: datetime) -> int:
    """An alert on ``component`` at ``at``, ended 5 min later and resolved by hand; its id."""
    harness.clock.now = at
    harness.post_events([event(name, started=at, component=component)])
    harness.process()
    [incident_id] = [i["id"] for i in harness.incidents() if i["state"] != "resolved"]
    ended = at + timedelta(minutes=5)
    harness.clock.now = ended
    harness.post_events(
        [event(name, status="resolved", started=at, ended=ended, component=component)]
    )
    harness.process()
    resolve = harness.client.patch(
        f"/api/v1/incidents/{incident_id}", json={"by": "alice", "state": "resolved"}
    )
    assert resolve.status_code == 200, resolve.text
    return int(incident_id)


def test_reported_incidents_do_not_hide_a_newer_one_from_the_report_writer(
    harness: Harness,
) -> None:
    """Incidents reported without a final estimate stay resolved in the lookback for a week;
    however many there are, a newer incident's report is still found due."""
    first = _short_incident(harness, "LedgerDown", component="ledger", at=T0)
    second = _short_incident(
        harness, "SepaDown", component="sepa-gateway", at=T0 + timedelta(hours=2)
    )
    harness.clock.now = T0 + timedelta(hours=3)
    harness.process()
    for incident_id in (first, second):
        [written] = harness.client.get(f"/api/v1/incidents/{incident_id}/reports").json()
        assert written["final"] is False
    third = _short_incident(
        harness, "CardAuthDown", component="card-auth", at=T0 + timedelta(hours=4)
    )
    store = harness.runtime.store
    later = T0 + timedelta(hours=5)
    # a window of two holds only the newest: the two already reported are not waiting
    assert due_reports(store, now=later, window=2) == [third]
    final = _estimate(final=True, end=T0 + timedelta(minutes=5), card=10, booking=0)
    _add_event(harness, at=later, kind=EventKind.ESTIMATE_UPDATED, incident_id=first, **final)
    # a final estimate after a provisional report makes that incident due again
    assert due_reports(store, now=later, window=2) == [first, third]


def test_action_items_are_listed_added_and_changed_in_the_report(harness: Harness) -> None:
    _incident(harness)
    url = "/api/v1/incidents/1/action-items"
    added = harness.client.post(
        url, json={"by": "alice", "title": "Add a replica for card-auth", "due_on": "2026-12-15"}
    )
    assert added.status_code == 201, added.text
    item = added.json()
    assert item["status"] == "open"
    changed = harness.client.patch(
        f"{url}/{item['id']}", json={"by": "bob", "status": "done", "owner": "payments team"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "done"
    assert [i["title"] for i in harness.client.get(url).json()] == ["Add a replica for card-auth"]
    missing = harness.client.patch(f"{url}/999", json={"by": "bob", "status": "done"})
    assert missing.status_code == 404
    assert harness.client.patch(f"{url}/{item['id']}", json={"by": "bob"}).status_code == 422
    assert harness.client.get("/api/v1/incidents/99/action-items").status_code == 404
    report = harness.client.get("/api/v1/incidents/1/report", params={"format": "json"}).json()
    assert [(a["title"], a["status"], a["due_on"]) for a in report["action_items"]] == [
        ("Add a replica for card-auth", "done", "2026-12-15")
    ]


def test_reading_needs_status_read_and_changing_needs_incidents_write(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    runtime = build_runtime(settings_for(database_url, tmp_path, require_auth=True), clock=clock)
    store = runtime.store
    admin, _ = create_token(store, name="ops", scopes=["admin"], actor="cli:test", now=clock.now)
    reader, _ = create_token(
        store, name="support", scopes=["status:read"], actor="cli:test", now=clock.now
    )
    as_admin = {"authorization": f"Bearer {admin}"}
    as_reader = {"authorization": f"Bearer {reader}"}
    with TestClient(create_app(runtime, start_worker=False)) as client:
        declared = client.post(
            "/api/v1/incidents",
            json={"title": "Card payments failing", "declared_by": "ops"},
            headers=as_admin,
        )
        assert declared.status_code == 201, declared.text
        url = f"/api/v1/incidents/{declared.json()['id']}"
        assert client.get(f"{url}/report").status_code == 401
        assert client.get(f"{url}/report", headers=as_reader).status_code == 200
        assert client.get(f"{url}/action-items", headers=as_reader).status_code == 200
        body = {"by": "x", "title": "Something to do"}
        refused = client.post(f"{url}/action-items", json=body, headers=as_reader)
        assert refused.status_code == 403
        accepted = client.post(f"{url}/action-items", json=body, headers=as_admin)
        assert accepted.status_code == 201
    runtime.close()


def test_the_period_summary_counts_customers_and_outage_minutes(harness: Harness) -> None:
    _incident(harness)
    _final(harness)
    response = harness.client.get(
        "/api/v1/reports/period",
        params={"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    [line] = summary["incidents"]
    assert line["affected"]["estimate"] == 1240 + 130
    assert line["time_to_communicate"] == 720.0
    card = next(t for t in summary["touchpoints"] if t["touchpoint"] == "card-payments")
    assert card["incidents"] == 1
    assert card["affected"]["estimate"] == 1240
    assert 0 < sum(card["outage_minutes"].values()) <= 60
    [week] = summary["weeks"]
    assert week["median_time_to_communicate"] == 720.0
    empty = harness.client.get(
        "/api/v1/reports/period",
        params={"since": "2026-10-01T00:00:00Z", "until": "2026-11-01T00:00:00Z", "format": "md"},
    )
    assert "0 incidents" in empty.text
