"""Impact estimates on incidents' timelines: a series while open, one final figure after.

The scheduler calls ``due_for_estimate`` every tick and ``estimate_incident``
for each id it returns: open incidents get a live estimate at most every
``interval`` (``Settings.estimate_interval_seconds``), resolved incidents get
one final estimate over their whole window, once. Each estimate is an
``estimate_updated`` event whose ``data`` is::

    {"final": bool, "window": {"start": iso, "end": iso},
     "touchpoints": {tp_id: {"affected_customers": {"estimate", "low", "high", "level"} | null,
                             "affected_so_far": {...} | null,
                             "failed_interactions": {...} | null,
                             "exposed_customers": {...} | null,
                             "methods": [...], "quality": [...],
                             "normal_customers": {...} | null,
                             "segments": {segment: {"affected_customers": {...}}}}}}

A figure no method could estimate is null, with the reason in ``quality``.
``normal_customers`` are the customers the touchpoint usually serves in the
same window (past weeks), for the report's chart; ``segments`` is empty
when the data cannot split the figure by customer segment.

Prometheus and the operational database are read outside the unit of work,
so that no transaction stays open while they answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.catalog import Catalog
from monitor.domain import EventKind, Incident, IncidentEvent, IncidentState
from monitor.impact import Sources, Window, estimate_touchpoints, impact_json
from monitor.services.signals import signal_counts
from monitor.store import Store

log = logging.getLogger(__name__)
SOURCE = "impact"
UNREACHABLE = "unreachable"
"""What the estimators' quality notes say when a source did not answer."""
CARRIED = (
    "affected_customers",
    "affected_so_far",
    "failed_interactions",
    "exposed_customers",
    "methods",
    "normal_customers",
    "segments",
)
RESOLVED_LOOKBACK = 500
"""How many of the most recent resolved incidents are checked for a missing final estimate."""


@dataclass(frozen=True)
class DueEstimates:
    """Incident ids that need an estimate now."""

    live: tuple[int, ...]
    """Open incidents whose last estimate is older than the interval (or that have none)."""
    final: tuple[int, ...]
    """Resolved incidents without a final estimate."""

    def all(self) -> tuple[int, ...]:
        """Every due id, open ones first."""
        return self.live + self.final


def due_for_estimate(store: Store, *, now: datetime, interval: timedelta) -> DueEstimates:
    """Which incidents to estimate at ``now``: stale open ones and resolved ones lacking a final.

    Only the incidents' estimate events are read, in one query, not their
    timelines: a storm's incidents hold an event per alert, and reading them
    whole for the last 500 resolved incidents, every minute, took longer than
    the minute and close to a gigabyte. A resolved incident that never hurt a touchpoint
    has nothing to estimate and is not due.
    """
    live: list[int] = []
    final: list[int] = []
    with store.unit_of_work() as uow:
        active = uow.incidents.active()
        kind = EventKind.ESTIMATE_UPDATED
        latest = uow.incidents.latest_events([a.id for a in active], kind=kind)
        for open_one in active:
            last = latest.get(open_one.id)
            if last is None or now - last.at >= interval:
                live.append(open_one.id)
        resolved = [
            i
            for i in uow.incidents.recent(states=[IncidentState.RESOLVED], limit=RESOLVED_LOOKBACK)
            if i.merged_into is None and (i.peak_touchpoints or i.touchpoints)
        ]
        latest = uow.incidents.latest_events([i.id for i in resolved], kind=kind)
        for incident in resolved:
            last = latest.get(incident.id)
            if last is None or not last.data.get("final"):
                final.append(incident.id)
    return DueEstimates(tuple(live), tuple(final))


def estimate_incident(
    store: Store,
    *,
    incident_id: int,
    catalog: Catalog,
    sources: Sources,
    now: datetime,
) -> dict[str, object] | None:
    """Estimate one incident's touchpoints and append the ``estimate_updated`` event.

    The window is ``[opened_at, resolved_at]`` once resolved (a final
    estimate) and ``[opened_at, now]`` while open (a live one). Returns the
    event's data, or None when there is nothing to estimate (no known
    touchpoint, or a window of no length).
    """
    with store.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id)
        latest = uow.incidents.latest_events([incident_id], kind=EventKind.ESTIMATE_UPDATED)
        previous = latest.get(incident_id)
    final = incident.state is IncidentState.RESOLVED
    end = incident.resolved_at if final and incident.resolved_at else now
    touchpoints = _touchpoints(incident, catalog)
    if not touchpoints or end <= incident.opened_at:
        return None
    window = Window(incident.opened_at, end)
    impacts = estimate_touchpoints(
        catalog,
        window=window,
        sources=sources,
        touchpoints=touchpoints,
        live=not final,
        failed_components=incident.components,
    )
    entries = {i.estimate.touchpoint: impact_json(i, timeline=True) for i in impacts}
    stale = _carry_forward(entries, previous)
    data: dict[str, object] = {
        # a final figure read while a source was down is not final: try again next tick
        "final": final and not stale,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "touchpoints": entries,
    }
    with store.unit_of_work() as uow:
        data["signals"] = signal_counts(uow, incident_id)  # customers' complaints, low scores
        uow.incidents.add_event(
            incident_id,
            at=now,
            kind=EventKind.ESTIMATE_UPDATED,
            source=SOURCE,
            summary=_summary(impacts_data=data, final=bool(data["final"])),
            data=data,
        )
        uow.commit()
    return data


def _touchpoints(incident: Incident, catalog: Catalog) -> list[str]:
    names = set(incident.peak_touchpoints) | set(incident.touchpoints)
    unknown = names - set(catalog.touchpoints)
    if unknown:
        log.warning("incident %s names touchpoints not in the catalog: %s", incident.id, unknown)
    return [tp for tp in catalog.touchpoints if tp in names]


def _carry_forward(
    entries: dict[str, dict[str, object]], previous: IncidentEvent | None
) -> list[str]:
    """Keep the last figures of touchpoints whose sources were unreachable; returns those.

    An outage of Prometheus (or the operational database) during an incident
    must not turn "1,240 customers affected" into "unknown" or a smaller
    fallback figure: the previous estimate stays, marked stale since it was
    made, with the reason, until the sources answer again.
    """
    earlier = previous.data.get("touchpoints") if previous is not None else None
    if previous is None or not isinstance(earlier, Mapping):
        return []
    stale: list[str] = []
    for touchpoint, entry in entries.items():
        quality = entry.get("quality")
        reasons = [q for q in quality if UNREACHABLE in q] if isinstance(quality, list) else []
        before = earlier.get(touchpoint)
        if not reasons or not isinstance(before, Mapping) or not before.get("affected_customers"):
            continue
        was = before.get("stale")
        since = was.get("since") if isinstance(was, Mapping) else previous.at.isoformat()
        for key in CARRIED:
            entry[key] = before.get(key)
        entry["stale"] = {"since": since, "reason": "; ".join(str(r) for r in reasons)}
        stale.append(touchpoint)
    return stale


def _summary(*, impacts_data: Mapping[str, object], final: bool) -> str:
    touchpoints = impacts_data.get("touchpoints")
    parts: list[str] = []
    if isinstance(touchpoints, Mapping):
        for tp, figures in touchpoints.items():
            affected = figures["affected_customers"]
            if affected is None:
                parts.append(f"{tp} unknown (no data to estimate from)")
            else:
                figure = f"{tp} {affected['estimate']} [{affected['low']}–{affected['high']}]"
                if figures.get("stale"):
                    figure += f" (stale since {figures['stale']['since']})"
                parts.append(figure)
    label = "Final impact" if final else "Impact so far"
    return f"{label}: " + ("; ".join(parts) if parts else "no touchpoint")
