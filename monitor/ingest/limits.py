"""Bounds on what one ingested payload may contain.

Payloads come from outside (Alertmanager, Prometheus, other tools posting events),
so every size and time is bounded: an alert with thousands of labels or a start
time in 1970 is far more likely a broken sender than a real outage, and
accepting it would distort fingerprints, incident timelines and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class IngestLimits:
    """Per-payload and per-alert limits; the defaults suit a production monitor."""

    max_labels: int = 64
    """Labels per alert (Prometheus alerts rarely carry more than 20)."""
    max_label_value: int = 4096
    """Characters in one label value."""
    max_annotations: int = 64
    """Annotations per alert."""
    max_annotation_value: int = 16384
    """Characters in one annotation value (descriptions can be long)."""
    max_alerts_per_batch: int = 10_000
    """Items in one payload; more rejects the whole payload."""
    future_skew: timedelta = timedelta(days=1)
    """How far in the future a timestamp may be before it is called absurd."""
    min_time: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    """Timestamps before this are absurd (zero or epoch values from a broken sender)."""

    def __post_init__(self) -> None:
        counts = (
            self.max_labels,
            self.max_label_value,
            self.max_annotations,
            self.max_annotation_value,
            self.max_alerts_per_batch,
        )
        if min(counts) < 1 or self.future_skew < timedelta(0):
            raise ValueError("ingest limits must be positive")
        if self.min_time.tzinfo is None:
            raise ValueError("min_time must be timezone-aware")
