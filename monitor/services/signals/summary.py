"""What customers said about an incident, for Slack updates, estimates and the report.

Counts by touchpoint and source, a few sample texts and the spike evidence;
never a customer reference (not even its pseudonym), so the summary can be
shown to anyone who may read the incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.domain import Signal
from monitor.services.signals.evidence import low_scores
from monitor.store import UnitOfWork

SAMPLE_CHARS = 280


@dataclass(frozen=True)
class SignalSample:
    """One thing a customer said, without who said it."""

    occurred_at: datetime
    touchpoint: str | None
    source: str
    channel: str
    text: str


@dataclass(frozen=True)
class SignalSummary:
    """The customer signals attached to one incident."""

    incident_id: int
    signals: int
    customers: int
    """Different senders (customers, or identical texts without a customer reference)."""
    by_touchpoint: dict[str, int]
    by_source: dict[str, int]
    by_touchpoint_and_source: dict[str, dict[str, int]]
    low_scores: int
    """Low scores followed up for the incident (its customers' detractor answers)."""
    first_at: datetime | None
    last_at: datetime | None
    samples: tuple[SignalSample, ...]
    spikes: tuple[dict[str, Any], ...]
    """The evidence of each spike tied to the incident (first alarming window)."""

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values, for templates, timeline data and API answers."""
        return {
            "incident_id": self.incident_id,
            "signals": self.signals,
            "customers": self.customers,
            "by_touchpoint": self.by_touchpoint,
            "by_source": self.by_source,
            "by_touchpoint_and_source": self.by_touchpoint_and_source,
            "low_scores": self.low_scores,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "samples": [
                {
                    "occurred_at": s.occurred_at.isoformat(),
                    "touchpoint": s.touchpoint,
                    "source": s.source,
                    "channel": s.channel,
                    "text": s.text,
                }
                for s in self.samples
            ],
            "spikes": list(self.spikes),
        }


def signal_summary(uow: UnitOfWork, incident_id: int, *, samples: int = 5) -> SignalSummary:
    """Counts by touchpoint and source, sample texts and spike evidence of an incident."""
    counts = uow.signals.counts(incident_id)
    signals = uow.signals.of_incident(incident_id)
    by_touchpoint: dict[str, int] = {}
    by_source: dict[str, int] = {}
    nested: dict[str, dict[str, int]] = {}
    for count in counts:
        touchpoint = count.touchpoint or "unattributed"
        by_touchpoint[touchpoint] = by_touchpoint.get(touchpoint, 0) + count.signals
        by_source[count.source] = by_source.get(count.source, 0) + count.signals
        nested.setdefault(touchpoint, {})[count.source] = count.signals
    texts = [s for s in signals if s.text]
    picked = texts[:samples] if len(texts) <= samples else _spread(texts, samples)
    return SignalSummary(
        incident_id=incident_id,
        signals=len(signals),
        customers=uow.signals.customers_of_incident(incident_id),
        by_touchpoint=by_touchpoint,
        by_source=by_source,
        by_touchpoint_and_source=nested,
        low_scores=len(low_scores(uow, incident_id)),
        first_at=signals[0].occurred_at if signals else None,
        last_at=signals[-1].occurred_at if signals else None,
        samples=tuple(
            SignalSample(
                occurred_at=s.occurred_at,
                touchpoint=s.touchpoint,
                source=s.source,
                channel=s.channel,
                text=_short(s.text or ""),
            )
            for s in picked
        ),
        spikes=tuple(dict(s.evidence) for s in uow.signals.spikes_of_incident(incident_id)),
    )


def _spread(items: list[Signal], n: int) -> list[Signal]:
    """``n`` items spread over the list (first, last and evenly between)."""
    if n <= 1:
        return items[:n]
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def _short(text: str) -> str:
    return text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"
