"""The payroll, airline and generic seed playbooks produce the expected Slack conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.comms.conftest import CommsHarness
from tests.integration.pipeline.conftest import event

PAY_DAY = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
ORDINARY_DAY = datetime(2026, 11, 10, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "platform_paged"), [(PAY_DAY, True), (ORDINARY_DAY, False)])
def test_a_payroll_failure_drafts_for_employers_and_employees_and_pages_on_pay_day(
    comms: CommsHarness, start: datetime, platform_paged: bool
) -> None:
    comms.clock.now = start + timedelta(minutes=1)
    comms.post_events(
        [event("BankFileExportFailed", started=start, component="bank-file-exporter")]
    )
    comms.process()
    conversation = comms.slack.conversation()
    heads = [c[1] for c in conversation if c[0] == "chat.postMessage" and not c[2]]
    assert heads[:2] == ["#payroll", "#payroll-oncall"]
    assert ("#platform-oncall" in heads) is platform_paged
    drafts = [c[3] for c in conversation if "Customer message draft" in c[3]]
    employers = [d for d in drafts if "To our payroll clients" in d]
    employees = [d for d in drafts if "Your salary payment may arrive later" in d]
    assert len(employers) == len(employees) >= 1
    assert all("*fr*:" in d for d in drafts)


def test_a_check_in_outage_tells_airline_and_exports_no_ids_into_slack(
    comms: CommsHarness,
) -> None:
    comms.clock.now = PAY_DAY + timedelta(minutes=1)
    comms.post_events([event("DcsDown", started=PAY_DAY, service="departure-control")])
    comms.process()
    conversation = comms.slack.conversation()
    assert [c[1] for c in conversation if not c[2]][:2] == ["#airline", "#airline-oncall"]
    assert conversation[0][3].startswith(":airplane: Boarding passes, Online check-in failing.")
    (incident,) = comms.incidents()
    timeline = comms.incident(incident["id"])["timeline"]
    export = [e for e in timeline if e["data"].get("action") == "export_customer_ids"]
    assert len(export) == 1
    assert "no customer ids available" in export[0]["summary"]
    pages = [e["data"] for e in timeline if e["kind"] == "public_update"]
    assert sorted(p["touchpoint"] for p in pages) == ["boarding-passes", "check-in"]
    assert {p["state"] for p in pages} == {"major_outage"}


def test_an_incident_no_playbook_names_gets_the_generic_playbook(comms: CommsHarness) -> None:
    comms.clock.now = ORDINARY_DAY + timedelta(minutes=1)
    comms.post_events([event("DiskAlmostFull", started=ORDINARY_DAY, host="build-7")])
    comms.process()
    conversation = comms.slack.conversation()
    assert [(c[1], c[2]) for c in conversation] == [("#platform", "")]
    assert conversation[0][3].startswith(":warning: DiskAlmostFull")
    assert "1 alert not in the catalog: DiskAlmostFull." in conversation[0][3]
