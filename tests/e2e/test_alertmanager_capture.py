"""A live Alertmanager still sends what the captured fixtures show, and we read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.ingest import IngestLimits, labelset_fingerprint, parse_alertmanager
from tests.support.alertmanager_capture import (
    OPS_PATH,
    POSTGRES_DOWN,
    alertmanager_config,
    capture_payloads,
    structure,
)

# Imported so the module runs even without the fixtures plugin in a conftest.
from tests.support.fixtures import (  # noqa: F401
    StartAlertmanager,
    alertmanager_factory,
    webhook_server,
)
from tests.support.payloads import captured_payloads
from tests.support.processes import (
    ALERTMANAGER,
    MissingProgramError,
    WebhookReceiver,
    http_client,
    require_program,
)

pytestmark = pytest.mark.slow


def test_live_payloads_match_the_fixtures_and_parse(tmp_path: Path) -> None:
    try:
        require_program(ALERTMANAGER)
    except MissingProgramError as exc:
        pytest.fail(str(exc), pytrace=False)
    stored = captured_payloads()

    live = capture_payloads(tmp_path)

    assert sorted(p.name for p in live) == sorted(stored)
    for payload in live:
        document = json.loads(payload.body)
        assert structure(document) == structure(json.loads(stored[payload.name])), payload.name
        assert payload.headers["Content-Type"] == "application/json"
        assert payload.headers["User-Agent"].startswith("Alertmanager/")
        batch = parse_alertmanager(payload.body, now=datetime.now(UTC), limits=IngestLimits())
        assert batch.rejected == ()
        assert len(batch.alerts) == len(document["alerts"])
        for alert, raw in zip(batch.alerts, document["alerts"], strict=True):
            assert alert.fingerprint == raw["fingerprint"]
            assert labelset_fingerprint(raw["labels"]) == raw["fingerprint"]
            assert alert.status.value == raw["status"]


def test_alertmanager_delivers_a_posted_alert_to_the_webhook_fixture(
    alertmanager_factory: StartAlertmanager,  # noqa: F811
    webhook_server: WebhookReceiver,  # noqa: F811
) -> None:
    alertmanager = alertmanager_factory(config=alertmanager_config(webhook_server.url))
    labels = {**POSTGRES_DOWN, "instance": "db-primary-eu-2:5432"}
    with http_client() as client:
        posted = client.post(
            f"{alertmanager.url}/api/v2/alerts",
            json=[{"labels": labels, "startsAt": datetime.now(UTC).isoformat()}],
        )
    posted.raise_for_status()

    delivery = webhook_server.wait_for(lambda r: r.path == OPS_PATH)

    batch = parse_alertmanager(delivery.body, now=datetime.now(UTC), limits=IngestLimits())
    (alert,) = batch.alerts
    assert alert.labels == labels
    assert alert.fingerprint == labelset_fingerprint(labels)
    assert batch.meta.receiver == "ops"
