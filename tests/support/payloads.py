"""Access to the captured Alertmanager payloads under tests/fixtures/alertmanager/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.ingest.fingerprint import labelset_fingerprint

ALERTMANAGER_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alertmanager"


def captured_payloads() -> dict[str, bytes]:
    """Every captured payload by file stem (``postgres-down-firing`` …), raw bytes."""
    return {path.stem: path.read_bytes() for path in sorted(ALERTMANAGER_FIXTURES.glob("*.json"))}


def capture_time(body: bytes) -> datetime:
    """A ``now`` just after the latest time in the payload, so parsing never depends
    on the wall clock of the machine running the tests."""
    latest = datetime(2000, 1, 1, tzinfo=UTC)
    for alert in json.loads(body)["alerts"]:
        for key in ("startsAt", "endsAt"):
            value = datetime.fromisoformat(alert[key].replace("Z", "+00:00"))
            latest = max(latest, value)
    return latest + timedelta(seconds=1)


STORM_SERVICES = ("postgres", "card-auth", "idp", "rabbitmq", "ledger", "booking-svc")


def storm_webhook(
    n: int, *, alerts: int = 4, fired: datetime | None = None
) -> tuple[list[str], bytes]:
    """The ``n``-th of endlessly many distinct Alertmanager bodies: (fingerprints, body).

    Their alerts fire on catalog services (so they open incidents and run
    playbooks) on hosts no other body names, so every alert is new.
    """
    started = fired or datetime.now(UTC) - timedelta(minutes=1)
    stamp = started.isoformat().replace("+00:00", "Z")
    items = []
    for k in range(alerts):
        labels = {
            "alertname": f"CrashStorm{k}",
            "service": STORM_SERVICES[(n + k) % len(STORM_SERVICES)],
            "instance": f"host-{n}-{k}",
            "severity": "critical",
        }
        items.append(
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": "crash storm"},
                "startsAt": stamp,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": labelset_fingerprint(labels),
            }
        )
    body = {
        "version": "4",
        "receiver": "monitor",
        "status": "firing",
        "groupKey": f"{{}}:{{storm{n}}}",
        "truncatedAlerts": 0,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": items,
    }
    return [str(a["fingerprint"]) for a in items], json.dumps(body).encode()
