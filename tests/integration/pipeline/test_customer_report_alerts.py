"""Alerts labelled as customer reports are counted by the database, label value exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.pipeline.conftest import Harness, event

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def test_only_alerts_with_the_exact_label_value_count_as_customer_reports(
    harness: Harness,
) -> None:
    harness.clock.now = T0 + timedelta(minutes=5)
    labels = [
        {"signal": "customer_report"},
        {"signal": "customer_report", "note": 'say "hi"'},
        {"signal": "customer_report_x"},
        {"signal": "Customer_Report"},
        {},
    ]
    harness.post_events(
        [
            event(f"Report{n}", started=T0 + timedelta(seconds=n), component="ledger", **extra)
            for n, extra in enumerate(labels)
        ]
    )
    harness.process()
    [incident] = harness.incidents()
    with harness.runtime.store.unit_of_work() as uow:
        count = uow.alerts.count_labelled(incident["id"], name="signal", value="customer_report")
        other = uow.alerts.count_labelled(incident["id"], name="note", value='say "hi"')
    assert count == 2
    assert other == 1
