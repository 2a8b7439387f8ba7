"""The handling milestones of an incident and the durations between them.

Definitions (the same for every report and the period summary):

- impact start: the incident's ``opened_at``, the start of its first alert
  (for declared or customer-reported incidents, when it was opened);
- detected: when the monitor knew. The ``opened`` event's ``detected_at``
  when it carries one; else the monitor's first receipt of any of the
  incident's alerts; else the first ``alert_fired`` event; else the
  ``opened`` event;
- first alert: the first ``alert_fired`` event;
- acknowledged: the first ``acknowledged`` event;
- first internal message: the first ``message_sent`` event (Slack posts,
  pages and head-message updates all go to Slack);
- first customer communication: the first ``public_update`` (status page) or
  the first customer message sent after a person approved it (a
  ``playbook_step`` whose action is ``customer_message``);
- mitigated: the earlier of (a) the first moment after impact start when
  none of the incident's touchpoints is in a non-operational state (from
  the touchpoint state periods; maintenance does not count), and (b) the
  first move to ``monitoring``;
- resolved: the incident's ``resolved_at``.

Durations: time-to-detect = detected − impact start; time-to-acknowledge =
acknowledged − detected; time-to-communicate = first customer
communication − impact start (what customers waited); time-to-mitigate =
mitigated − impact start; time-to-resolve = resolved − impact start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from monitor.domain import EventKind, Incident, IncidentEvent, IncidentState, TouchpointState
from monitor.report.model import Durations, Milestone, Milestones
from monitor.store.repositories.touchpoints import StatePeriod

CUSTOMER_MESSAGE = "customer_message"


def compute_milestones(
    *,
    incident: Incident,
    events: Sequence[IncidentEvent],
    first_alert: datetime | None,
    first_receipt: datetime | None,
    periods: Iterable[StatePeriod],
) -> Milestones:
    """The milestones of ``incident`` from its timeline (alert events may be left out)."""
    start = incident.opened_at
    detected, detected_basis = _detected(events, first_alert, first_receipt)
    acknowledged = _first(events, lambda e: e.kind is EventKind.ACKNOWLEDGED)
    if acknowledged is None and incident.acknowledged_at is not None:
        acknowledged = incident.acknowledged_at
    internal = _first(events, lambda e: e.kind is EventKind.MESSAGE_SENT)
    customer = _first(events, _is_customer_communication)
    all_clear = all_operational_at(
        periods, touchpoints=set(incident.peak_touchpoints) | set(incident.touchpoints), start=start
    )
    monitoring = _first(
        events,
        lambda e: (
            e.kind is EventKind.STATE_CHANGED and e.data.get("to") == IncidentState.MONITORING.value
        ),
    )
    mitigated = min((t for t in (all_clear, monitoring) if t is not None), default=None)
    if all_clear is not None and all_clear == mitigated:
        mitigated_basis = "every affected touchpoint back to operational"
    elif mitigated is not None:
        mitigated_basis = "moved to monitoring"
    else:
        mitigated_basis = "not reached"
    resolved = incident.resolved_at
    items = (
        Milestone("impact_start", "Impact started", start, "start of the first alert"),
        Milestone("detected", "Detected", detected, detected_basis),
        Milestone("first_alert", "First alert", first_alert, "first alert on the timeline"),
        Milestone("acknowledged", "Acknowledged", acknowledged, "someone took the incident"),
        Milestone(
            "first_internal_message", "First internal message", internal, "first Slack message"
        ),
        Milestone(
            "first_customer_communication",
            "First customer communication",
            customer,
            "status page update or approved customer message",
        ),
        Milestone("mitigated", "Mitigated", mitigated, mitigated_basis),
        Milestone("resolved", "Resolved", resolved, "incident resolved"),
    )
    return Milestones(
        items=items,
        durations=Durations(
            detect=_between(start, detected),
            acknowledge=_between(detected or start, acknowledged),
            communicate=_between(start, customer),
            mitigate=_between(start, mitigated),
            resolve=_between(start, resolved),
        ),
    )


def all_operational_at(
    periods: Iterable[StatePeriod], *, touchpoints: set[str], start: datetime
) -> datetime | None:
    """The first moment after ``start`` when none of ``touchpoints`` is out, None if never."""
    relevant = sorted(
        (
            p
            for p in periods
            if p.touchpoint in touchpoints
            and p.state is not TouchpointState.UNDER_MAINTENANCE
            and (p.until is None or p.until > start)
        ),
        key=lambda p: p.since,
    )
    covered_until: datetime | None = None
    for period in relevant:
        since = max(period.since, start)
        if covered_until is not None and since > covered_until:
            break
        if period.until is None:
            return None
        covered_until = period.until if covered_until is None else max(covered_until, period.until)
    return covered_until


def _detected(
    events: Sequence[IncidentEvent], first_alert: datetime | None, first_receipt: datetime | None
) -> tuple[datetime | None, str]:
    opened = next((e for e in events if e.kind is EventKind.OPENED), None)
    if opened is not None:
        stated = opened.data.get("detected_at")
        if isinstance(stated, str):
            try:
                return datetime.fromisoformat(stated), "detection time recorded when opened"
            except ValueError:
                pass
    if first_receipt is not None:
        return first_receipt, "first alert received by the monitor"
    if first_alert is not None:
        return first_alert, "first alert on the timeline"
    if opened is not None:
        return opened.at, "incident opened"
    return None, "not recorded"


def _is_customer_communication(event: IncidentEvent) -> bool:
    if event.kind is EventKind.PUBLIC_UPDATE:
        return True
    return event.kind is EventKind.PLAYBOOK_STEP and event.data.get("action") == CUSTOMER_MESSAGE


def _first(
    events: Sequence[IncidentEvent], test: Callable[[IncidentEvent], bool]
) -> datetime | None:
    return next((e.at for e in events if test(e)), None)


def _between(earlier: datetime | None, later: datetime | None) -> timedelta | None:
    if earlier is None or later is None:
        return None
    return later - earlier
