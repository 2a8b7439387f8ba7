"""Access to the captured Alertmanager payloads under tests/fixtures/alertmanager/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
