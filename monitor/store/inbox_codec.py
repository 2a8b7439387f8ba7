"""The inbox's alerts of one delivery, written as one JSON text beside the raw body.

An alert storm is absorbed at write speed only if accepting a delivery costs
one row, not one row per alert: encoding a hundred alerts with the standard
library's C encoder takes a fraction of a millisecond, where a hundred
inserted rows cost their type conversions and index updates on the request
path. The worker decodes the text once, when it processes the batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.domain import Alert, AlertStatus
from monitor.store.types import storable_json

_NUL = "\\u0000"


def encode_alerts(alerts: Sequence[Alert]) -> str:
    """The alerts as JSON text both databases store (ASCII only, no NUL)."""
    records = [_record(a) for a in alerts]
    text = json.dumps(records, separators=(",", ":"))
    if _NUL in text:
        # PostgreSQL refuses NUL, even escaped, once it reaches a text value downstream.
        text = json.dumps(storable_json(records), separators=(",", ":"))
    return text


def decode_alerts(text: str | None) -> tuple[Alert, ...]:
    """The alerts :func:`encode_alerts` wrote, in their order of arrival."""
    if not text:
        return ()
    return tuple(_alert(r) for r in json.loads(text))


def _record(alert: Alert) -> list[Any]:
    return [
        alert.fingerprint,
        alert.source,
        alert.status.value,
        dict(alert.labels),
        dict(alert.annotations),
        alert.starts_at.astimezone(UTC).isoformat(),
        alert.ends_at.astimezone(UTC).isoformat() if alert.ends_at else None,
        alert.generator_url,
    ]


def _alert(record: list[Any]) -> Alert:
    fingerprint, source, status, labels, annotations, starts_at, ends_at, url = record
    return Alert(
        fingerprint=fingerprint,
        source=source,
        status=AlertStatus(status),
        labels=labels,
        annotations=annotations,
        starts_at=datetime.fromisoformat(starts_at),
        ends_at=datetime.fromisoformat(ends_at) if ends_at else None,
        generator_url=url,
    )
