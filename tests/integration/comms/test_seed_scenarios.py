"""The three seed outages, simulated, played to the monitor, and the Slack conversation they make.

Each scenario of ``examples/scenarios/`` that started the project (a bank's
card payments failing so customers go overdrawn, a payroll run failing on pay
day, an airline's check-in failing before departures) is simulated, shrunk as
the demo shrinks it, and its faults arrive as Alertmanager webhooks at their
simulated times. The monitor estimates from the simulated metrics and records
and runs the shipped playbooks; the test reads the conversation back from the
local Slack server's recorded calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.demo.alerts import alerts_for, webhook_body
from monitor.demo.world import DemoWorld, demo_world, shrink
from monitor.sim.scenario import load_scenario
from tests.conftest import REPO
from tests.integration.comms.conftest import CommsHarness, comms_settings
from tests.integration.pipeline.conftest import Clock, TestClient
from tests.support.slack_server import SlackServer

SCENARIOS = REPO / "examples" / "scenarios"


@pytest.fixture(scope="module", params=["bank-overdraft", "payroll-failure", "airline-checkin"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoWorld]:
    scenario = shrink(
        load_scenario(SCENARIOS / f"{request.param}.yaml"),
        customers=2_000,
        history=timedelta(weeks=1),
    )
    with demo_world(scenario, directory=tmp_path_factory.mktemp(request.param)) as found:
        yield found


def _play(
    world: DemoWorld, *, database_url: str, tmp_path: Path, slack: SlackServer
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Play every fault as a firing then a resolved webhook.

    Returns, for each incident left (not merged), its detail and its report (JSON).
    """
    alerts = alerts_for(world.faults, world.scenario.catalog)
    clock = Clock(alerts[0].fires_at)
    settings = comms_settings(
        database_url,
        tmp_path,
        slack,
        prometheus_url=world.prometheus_url,
        operational_db_url=world.opdb_url,
        resolve_quiet_seconds=60,
    )
    runtime = build_runtime(settings, clock=clock)
    try:
        with TestClient(create_app(runtime, start_worker=False)) as client:
            harness = CommsHarness(runtime, client, clock, slack)
            moments = sorted(
                [(a.fires_at, False, a) for a in alerts]
                + [(a.resolves_at, True, a) for a in alerts],
                key=lambda m: m[0],
            )
            for at, resolved, alert in moments:
                while clock.now < at:  # time passes: estimates, updates, escalations
                    clock.now = min(at, clock.now + timedelta(minutes=10))
                    harness.process()
                    runtime.scheduler.estimate_once()
                harness.post_alertmanager(webhook_body([alert], resolved=resolved))
                harness.process()
            for _ in range(4):  # the quiet period, the final estimate, the close-out
                clock.now += timedelta(minutes=5)
                harness.process()
                runtime.scheduler.estimate_once()
                harness.process()
            found = []
            for item in harness.incidents():
                if item["merged_into"] is not None:
                    continue
                detail = harness.incident(item["id"])
                report = client.get(f"/api/v1/incidents/{item['id']}/report?format=json")
                assert report.status_code == 200, report.text
                found.append((detail, report.json()))
            return found
    finally:
        runtime.close()


def _texts(slack: SlackServer, channel: str) -> list[str]:
    return [c[3] for c in slack.conversation() if c[1] == channel and c[0] == "chat.postMessage"]


def test_a_seed_outage_makes_the_expected_slack_conversation(
    world: DemoWorld, database_url: str, tmp_path: Path, slack: SlackServer
) -> None:
    played = _play(world, database_url=database_url, tmp_path=tmp_path, slack=slack)
    incidents = len(played)
    name = world.scenario.spec.name
    # the team owning the touchpoint customers feel most: card payments, the pay run, check-in
    team = {"bank-overdraft": "payments", "payroll-failure": "payroll"}.get(name, "airline")
    channel, oncall = f"#{team}", f"#{team}-oncall"
    said = _texts(slack, channel)
    print(f"\n{name}: {incidents} incident(s); {channel}: {len(said)} messages")
    assert incidents >= 1
    assert said, f"nothing said in {channel}: {slack.conversation()}"
    # the on-call channel is paged
    assert _texts(slack, oncall)
    # customer messages are drafts waiting for a person, never published by themselves
    drafts = [t for t in said if "waiting for approval" in t]
    assert drafts
    assert not slack.hook_calls("customer-comms")
    # the close-out says it is over and links the report; no customer id reached Slack
    close_outs = [t for t in said if t.startswith(":white_check_mark:")]
    assert close_outs, "\n".join(str((*c[:3], c[3][:90])) for c in slack.conversation())
    assert all("/report?format=html" in t for t in close_outs)
    everything = json.dumps([c.params for c in slack.calls])
    assert "customer_id" not in everything
    # each report states the stored final figures and a complete timeline
    for detail, report in played:
        assert detail["state"] == "resolved"
        finals = [e for e in detail["estimates"] if e["final"]]
        assert finals, f"incident {detail['id']} has no final estimate"
        assert report["estimate_status"] == "final"
        impacts = {i["touchpoint"]: i for i in report["impacts"]}
        for touchpoint, figures in finals[-1]["touchpoints"].items():
            assert impacts[touchpoint]["affected"] == figures["affected_customers"]
            assert impacts[touchpoint]["failed_interactions"] == figures["failed_interactions"]
        milestones = {m["key"]: m["at"] for m in report["milestones"]["items"]}
        for key in ("first_alert", "detected", "first_internal_message", "resolved"):
            assert milestones[key] is not None, f"incident {detail['id']}: no {key}"
        assert "customer" in report["summary"]
    if name == "bank-overdraft":
        # the overdraft fees the outage caused are waived through the signed webhook
        [*waivers] = slack.hook_calls("overdraft-fee-waiver")
        assert waivers
        assert all(w.headers["x-monitor-signature"].startswith("v1=") for w in waivers)
