"""How many customers spoke about an incident: complaints and low scores, per touchpoint.

Two readers need the same small figures: the Slack head message and update
templates (through ``Comms.view``) and the impact estimate, which records them
beside its own figures (``estimate_updated`` data, key ``signals``) so that a
reader of the estimate sees what customers said while it was made. The
figures are aggregates: no text, no customer reference.

Complaints are the incident's attached signals without a score; low scores
are those the watcher followed up for the incident (one ``customer_signal``
event with ``kind: low_score`` per signal), which covers both the scores
attached to it and those of customers whose earlier complaint is.
"""

from __future__ import annotations

from typing import Any

from monitor.domain import EventKind
from monitor.store import UnitOfWork

LOW_SCORE = "low_score"
UNATTRIBUTED = "unattributed"


def low_scores(uow: UnitOfWork, incident_id: int) -> list[dict[str, Any]]:
    """The low scores followed up for an incident, one per signal, oldest first."""
    events = uow.incidents.events_of_kind([incident_id], kind=EventKind.CUSTOMER_SIGNAL)
    found: dict[object, dict[str, Any]] = {}
    for event in events.get(incident_id, []):
        if event.data.get("kind") != LOW_SCORE:
            continue
        found.setdefault(event.data.get("signal_id"), {**event.data, "at": event.at.isoformat()})
    return list(found.values())


def signal_counts(
    uow: UnitOfWork, incident_id: int, *, scores: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Complaints, complaining customers and low scores of an incident, in all and by touchpoint.

    ``scores`` are the incident's ``low_scores`` when the caller has read them already.
    """
    by_touchpoint: dict[str, dict[str, int]] = {}

    def entry(touchpoint: object) -> dict[str, int]:
        key = str(touchpoint) if touchpoint else UNATTRIBUTED
        return by_touchpoint.setdefault(key, {"complaints": 0, "customers": 0, "low_scores": 0})

    for touchpoint, (signals, customers) in uow.signals.complaints_by_touchpoint(
        incident_id
    ).items():
        figures = entry(touchpoint)
        figures["complaints"] += signals
        figures["customers"] += customers
    for score in scores if scores is not None else low_scores(uow, incident_id):
        entry(score.get("touchpoint"))["low_scores"] += 1
    return {
        "complaints": sum(f["complaints"] for f in by_touchpoint.values()),
        "customers": sum(f["customers"] for f in by_touchpoint.values()),
        "low_scores": sum(f["low_scores"] for f in by_touchpoint.values()),
        "by_touchpoint": dict(sorted(by_touchpoint.items())),
    }
