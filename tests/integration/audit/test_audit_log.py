"""Every change by a person or an administrator leaves an audit row, in the same transaction."""

from __future__ import annotations

import json
import os
import pwd
from datetime import timedelta

from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.services.tokens import digest_of
from tests.conftest import EXAMPLE_CATALOG
from tests.integration.audit.conftest import Secured
from tests.integration.comms.conftest import CommsHarness
from tests.integration.pipeline.conftest import event

LOGIN = pwd.getpwuid(os.getuid()).pw_name


def _declare(secured: Secured) -> int:
    body = {"title": "Customers report card failures", "declared_by": "alice"}
    response = secured.client.post("/api/v1/incidents", json=body, headers=secured.writer)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_state_change_is_recorded_with_the_token_name_and_the_change(secured: Secured) -> None:
    incident_id = _declare(secured)
    secured.clock.advance(minutes=3)
    response = secured.client.post(
        f"/api/v1/incidents/{incident_id}/state",
        json={"state": "identified", "by": "alice", "note": "bad deploy of the ledger"},
        headers=secured.writer,
    )
    assert response.status_code == 200, response.text
    changed, declared = secured.rows()[:2]
    assert changed.actor == "token:incident bot"
    assert changed.action == "incident.state_changed"
    assert changed.target == f"incident:{incident_id}"
    assert changed.at == secured.clock.now
    assert changed.details["from"] == "investigating"
    assert changed.details["to"] == "identified"
    assert changed.details["by"] == "alice"
    timeline = secured.client.get(f"/api/v1/incidents/{incident_id}", headers=secured.reader)
    noted = [e for e in timeline.json()["timeline"] if e["kind"] == "state_changed"]
    assert changed.details["event_id"] == noted[0]["id"]
    assert "bad deploy" not in json.dumps(changed.details)  # free text stays on the timeline
    assert (declared.action, declared.actor) == ("incident.declared", "token:incident bot")
    listed = secured.audit(target=f"incident:{incident_id}")["items"]
    assert [e["action"] for e in listed] == ["incident.state_changed", "incident.declared"]
    assert listed[0]["at"] == secured.clock.now.isoformat().replace("+00:00", "Z")


def test_a_refused_change_leaves_no_audit_row(secured: Secured) -> None:
    incident_id = _declare(secured)
    before = len(secured.rows())
    again = secured.client.post(
        f"/api/v1/incidents/{incident_id}/state",
        json={"state": "investigating", "by": "alice"},
        headers=secured.writer,
    )
    assert again.status_code == 409
    assert len(secured.rows()) == before


def test_severity_acknowledgement_note_and_maintenance_are_recorded(secured: Secured) -> None:
    incident_id = _declare(secured)
    patch = {"acknowledge": True, "severity": "sev1", "note": "paging payments", "by": "bob"}
    response = secured.client.patch(
        f"/api/v1/incidents/{incident_id}", json=patch, headers=secured.writer
    )
    assert response.status_code == 200, response.text
    window = {
        "title": "Ledger upgrade",
        "starts_at": (secured.clock.now + timedelta(days=1)).isoformat(),
        "ends_at": (secured.clock.now + timedelta(days=1, hours=1)).isoformat(),
        "components": ["ledger"],
        "created_by": "bob",
    }
    response = secured.client.post("/api/v1/maintenances", json=window, headers=secured.writer)
    assert response.status_code == 201, response.text
    actions = [(r.action, r.target) for r in secured.rows()]
    assert actions[:4] == [
        ("maintenance.declared", f"maintenance:{response.json()['id']}"),
        ("incident.note_added", f"incident:{incident_id}"),
        ("incident.severity_overridden", f"incident:{incident_id}"),
        ("incident.acknowledged", f"incident:{incident_id}"),
    ]
    severity = secured.rows()[2]
    assert (severity.details["from"], severity.details["to"]) == ("sev2", "sev1")


def test_a_token_created_and_revoked_on_the_command_line_names_the_login(
    secured: Secured, database_url: str
) -> None:
    env = {"MONITOR_DATABASE_URL": database_url, "MONITOR_CATALOG_PATH": str(EXAMPLE_CATALOG)}
    runner = CliRunner()
    created = runner.invoke(
        cli, ["token", "create", "--name", "deploy-bot", "--scope", "ingest"], env=env
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    row = secured.rows()[0]
    assert row.actor == f"cli:{LOGIN}"
    assert row.action == "token.created"
    assert row.details == {"name": "deploy-bot", "scopes": ["ingest"]}
    token_id = int(row.target.removeprefix("token:"))
    stored = json.dumps(secured.audit()["items"])
    assert token not in stored
    assert digest_of(token) not in stored
    revoked = runner.invoke(cli, ["token", "revoke", str(token_id)], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(cli, ["token", "revoke", str(token_id)], env=env).exit_code == 1
    entries = secured.audit(target=f"token:{token_id}")["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("token.revoked", f"cli:{LOGIN}"),
        ("token.created", f"cli:{LOGIN}"),
    ]


def test_status_read_gets_403_and_no_token_401_on_the_audit_log(secured: Secured) -> None:
    denied = secured.client.get("/api/v1/audit", headers=secured.reader)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    assert secured.client.get("/api/v1/audit", headers=secured.writer).status_code == 403
    assert secured.client.get("/api/v1/audit").status_code == 401


def test_filters_and_cursor_pages_cover_every_entry_once(secured: Secured) -> None:
    start = secured.clock.now
    for _ in range(5):
        _declare(secured)
        secured.clock.advance(minutes=1)
    everything = secured.audit(actor="token:incident bot")["items"]
    assert len(everything) == 5
    seen: list[int] = []
    page = secured.audit(actor="token:incident bot", limit=2)
    while True:
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        page = secured.audit(actor="token:incident bot", limit=2, cursor=page["next_cursor"])
    assert seen == [e["id"] for e in everything]
    window = secured.audit(
        since=(start + timedelta(minutes=1)).isoformat(),
        until=(start + timedelta(minutes=3)).isoformat(),
    )["items"]
    assert [e["target"] for e in window] == ["incident:3", "incident:2"]
    assert len(secured.audit(actor="cli:setup")["items"]) == 3  # the fixture's tokens
    bad = secured.client.get("/api/v1/audit", params={"cursor": "nope"}, headers=secured.admin)
    assert bad.status_code == 422


def test_a_slack_approval_is_recorded_once_for_the_first_approver(comms: CommsHarness) -> None:
    start = comms.clock.now - timedelta(minutes=1)
    comms.post_events([event("LedgerDown", started=start, component="ledger")])
    comms.process()
    (incident,) = comms.incidents()
    draft = next(i for i in comms.outbox(incident["id"]) if i.action.value == "customer_message")
    comms.click("approve_customer_message", draft.key, user="carol")
    comms.click("approve_customer_message", draft.key, user="dave")
    with comms.runtime.store.unit_of_work() as uow:
        rows = [r for r in uow.audit.page() if r.action == "customer_message.approved"]
    assert len(rows) == 1
    assert rows[0].actor == "slack:carol"
    assert rows[0].target == f"incident:{incident['id']}"
    assert rows[0].details["key"] == draft.key
    assert rows[0].details["segment"] == draft.payload["segment"]


def test_an_export_of_customer_ids_is_recorded_with_its_count(comms: CommsHarness) -> None:
    start = comms.clock.now - timedelta(minutes=1)
    comms.post_events([event("DcsDown", started=start, service="departure-control")])
    comms.process()
    (incident,) = comms.incidents()
    with comms.runtime.store.unit_of_work() as uow:
        (row,) = [r for r in uow.audit.page() if r.action == "customer_ids.exported"]
    assert row.actor == "playbook:booking-checkin"
    assert row.target == f"incident:{incident['id']}"
    assert row.details["count"] == 0
    assert row.details["touchpoints"]
