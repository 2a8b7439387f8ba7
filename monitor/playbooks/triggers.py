"""Does a playbook's trigger hold for an incident, and for which touchpoints?

Pure functions: every condition given in the trigger must hold. The
touchpoints that satisfy the touchpoint, state and segment conditions are
returned, because the steps act on them (post in their channels, draft one
customer message per touchpoint and segment).
"""

from __future__ import annotations

import calendar
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.catalog import Catalog
from monitor.domain import Severity
from monitor.playbooks.context import IncidentView
from monitor.playbooks.schema import TimeSpec, TriggerSpec

_SEVERITY_RANK = {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 3, Severity.SEV4: 4}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def matching_touchpoints(
    trigger: TriggerSpec, view: IncidentView, catalog: Catalog
) -> list[str] | None:
    """The touchpoints the trigger holds for (maybe none), or None when it does not hold."""
    incident = view.incident
    candidates = sorted(incident.touchpoints)
    if trigger.touchpoints:
        candidates = [t for t in candidates if t in trigger.touchpoints]
        if not candidates:
            return None
    if trigger.states:
        candidates = [t for t in candidates if incident.touchpoints[t] in trigger.states]
        if not candidates:
            return None
    if trigger.segments:
        wanted = set(trigger.segments)
        candidates = [
            t
            for t in candidates
            if t in catalog.touchpoints and wanted & set(catalog.touchpoints[t].segments)
        ]
        if not candidates:
            return None
    if not _scalar_conditions_hold(trigger, view, candidates):
        return None
    return candidates


def _scalar_conditions_hold(
    trigger: TriggerSpec, view: IncidentView, touchpoints: list[str]
) -> bool:
    incident = view.incident
    if (
        trigger.severity is not None
        and _SEVERITY_RANK[incident.severity] > _SEVERITY_RANK[trigger.severity]
    ):
        return False
    if trigger.affected_customers_above is not None:
        # A pending estimate never satisfies a threshold: the playbook waits for it.
        total = view.total_affected(touchpoints)
        if total is None or int(total["estimate"]) <= trigger.affected_customers_above:
            return False
    if (
        trigger.duration_minutes_above is not None
        and view.duration_minutes() <= trigger.duration_minutes_above
    ):
        return False
    if trigger.time is not None and not time_matches(trigger.time, view.now):
        return False
    if trigger.customer_reported is not None and trigger.customer_reported != (
        view.customer_reports > 0
    ):
        return False
    return trigger.declared is None or trigger.declared == incident.declared


def time_matches(spec: TimeSpec, at: datetime) -> bool:
    """True when ``at`` (in the spec's time zone) is on one of its days and within its hours."""
    local = at.astimezone(zone(spec.timezone))
    if spec.days_of_month:
        last = calendar.monthrange(local.year, local.month)[1]
        days = {d if d > 0 else last + 1 + d for d in spec.days_of_month}
        if local.day not in days:
            return False
    if spec.weekdays and _WEEKDAYS[local.weekday()] not in spec.weekdays:
        return False
    if spec.hours:
        start_text, end_text = spec.hours.split("-")
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
        now = local.time().replace(tzinfo=None)
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if not inside:
            return False
    return True


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; ValueError when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
