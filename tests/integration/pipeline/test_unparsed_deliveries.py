"""Webhooks whose every alert passes the screen are stored as they came and parsed by the worker."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from monitor.store.models import AlertRow
from tests.integration.pipeline.conftest import Harness
from tests.integration.pipeline.test_incident_lifecycle import T0


def _stamp(at: object) -> str:
    return str(at).replace("+00:00", "Z").replace(" ", "T")


def _webhook(*alerts: dict[str, object]) -> bytes:
    return json.dumps({"version": "4", "receiver": "monitor", "alerts": list(alerts)}).encode()


def _alert(name: str, *, status: str = "firing", **extra: object) -> dict[str, object]:
    return {
        "status": status,
        "labels": {"alertname": name, "service": "ledger", "severity": "critical"},
        "startsAt": _stamp(T0),
        **extra,
    }


def _row(harness: Harness, batch_id: int) -> tuple[str | None, int, int, str | None]:
    with harness.runtime.store.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT alerts_json, alert_count, length(payload), last_error "
                "FROM inbox_batches WHERE id = :id"
            ),
            {"id": batch_id},
        ).one()
    return row[0], int(row[1]), int(row[2]), row[3]


@pytest.fixture(autouse=True)
def _clock_after_the_alerts(harness: Harness) -> None:
    harness.clock.now = T0 + timedelta(minutes=5)


def test_a_good_webhook_is_kept_raw_and_its_alerts_are_built_with_the_time_of_receipt(
    harness: Harness,
) -> None:
    body = _webhook(_alert("LedgerErrors"), _alert("LedgerSlow", status="resolved"))
    received = harness.clock.now
    answer = harness.post_alertmanager(body)
    assert answer["accepted"] == 2
    alerts_json, count, size, _ = _row(harness, answer["batch_id"])
    assert (alerts_json, count, size) == (None, 2, len(body))

    harness.clock.advance(minutes=10)  # the worker runs later than the delivery came
    assert harness.process() == 1

    with harness.runtime.store.engine.connect() as connection:
        rows = connection.execute(select(AlertRow.name, AlertRow.ends_at)).all()
    ends = dict(rows)
    assert ends["LedgerErrors"] is None
    # resolved without endsAt: it ended when it was received, not when it was processed
    assert ends["LedgerSlow"] == received


def test_a_webhook_with_a_refused_alert_is_stored_parsed(harness: Harness) -> None:
    answer = harness.post_alertmanager(_webhook(_alert("LedgerErrors"), _alert("bad", startsAt="")))
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1]
    alerts_json, count, _, _ = _row(harness, answer["batch_id"])
    assert alerts_json is not None
    assert count == 1
    assert harness.process() == 1
    assert harness.incidents()[0]["firing_alerts"] == 1


def test_a_body_that_no_longer_gives_the_accepted_alerts_fails_loudly_and_is_kept(
    harness: Harness,
) -> None:
    body = _webhook(_alert("LedgerErrors"))
    batch_id = harness.post_alertmanager(body)["batch_id"]
    # as if the parser had changed under a waiting batch
    with harness.runtime.store.engine.begin() as connection:
        connection.execute(
            text("UPDATE inbox_batches SET alert_count = 2 WHERE id = :id"), {"id": batch_id}
        )

    assert harness.process() == 0

    assert harness.incidents() == []
    alerts_json, _, size, error = _row(harness, batch_id)
    assert alerts_json is None
    assert size == len(body)
    assert error is not None
    assert "1 alerts parsed from its body, 2 accepted" in error
