"""Decide which incident a new firing alert belongs to.

An incident is one failure as people handle it, so alerts that hurt the same
things at about the same time belong together, and a failure that spreads to
more touchpoints must not split into several incidents. The rule:

1. Only open incidents whose last activity is at most ``window`` before the
   alert can take it; older ones are left alone (a new failure of the same
   touchpoint hours later is a new incident).
2. What the alert touches (its ``Footprint``) is compared with each incident:

   * an alert that impacts touchpoints is related to an incident that shares
     one of those touchpoints or one of the alert's components;
   * an alert with mapped components but no touchpoint impact is related to
     an incident that shares one of its components;
   * an unmapped alert is related to an incident holding the same key,
     its alertname with its ``service`` and ``job`` labels, so unmapped alerts
     are grouped with their own kind and never silently dropped.

3. No related incident: open a new one. Exactly one: join it. Two or more:
   they are one failure after all, so merge them into the oldest (earliest
   opened, then lowest id) and the alert joins that one.

The decision is pure; applying it (and updating the incidents' touchpoints,
components, keys and activity time) is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.correlate.match import clean_labels
from monitor.correlate.topology import TopologyChange
from monitor.domain import Alert

UNMAPPED_KEY_LABELS = ("alertname", "service", "job")


@dataclass(frozen=True)
class OpenIncident:
    """What grouping needs to know about an open incident."""

    id: int
    touchpoints: frozenset[str]
    components: frozenset[str]
    opened_at: datetime
    last_activity_at: datetime
    keys: frozenset[str] = frozenset()
    """Keys of the unmapped alerts it holds (see ``unmapped_key``)."""


@dataclass(frozen=True)
class Footprint:
    """What one new alert touches."""

    touchpoints: frozenset[str]
    components: frozenset[str]
    key: str | None = None
    """Set for unmapped alerts only."""

    @classmethod
    def of_change(cls, change: TopologyChange) -> Footprint:
        """The footprint of an alert just applied to a ``TopologyState``."""
        if not change.components:
            return cls(frozenset(), frozenset(), key=unmapped_key(change.alert))
        return cls(touchpoints=change.impacted, components=change.components)

    @classmethod
    def of_alert(
        cls, alert: Alert, *, touchpoints: Iterable[str], components: Iterable[str]
    ) -> Footprint:
        """The footprint of an alert from its impacted touchpoints and mapped components."""
        comps = frozenset(components)
        if not comps:
            return cls(frozenset(), frozenset(), key=unmapped_key(alert))
        return cls(touchpoints=frozenset(touchpoints), components=comps)


@dataclass(frozen=True)
class OpenNew:
    """Open a new incident for the alert."""

    footprint: Footprint


@dataclass(frozen=True)
class JoinIncident:
    """Add the alert to an existing incident."""

    incident_id: int


@dataclass(frozen=True)
class MergeIncidents:
    """Merge ``merged`` into ``into`` (the oldest) and add the alert to it."""

    into: int
    merged: tuple[int, ...]


Decision = OpenNew | JoinIncident | MergeIncidents


def unmapped_key(alert: Alert) -> str:
    """The grouping key of an unmapped alert: alertname, service and job."""
    labels = clean_labels(alert.labels)
    return "|".join(f"{name}={labels.get(name, '')}" for name in UNMAPPED_KEY_LABELS)


def related(incident: OpenIncident, footprint: Footprint) -> bool:
    """True when the incident shares what the footprint touches (rule 2)."""
    if footprint.touchpoints and footprint.touchpoints & incident.touchpoints:
        return True
    if footprint.components:
        return bool(footprint.components & incident.components)
    return footprint.key is not None and footprint.key in incident.keys


def decide(
    *,
    incidents: Iterable[OpenIncident],
    footprint: Footprint,
    at: datetime,
    window: timedelta,
) -> Decision:
    """Join, open or merge for one new alert (see the module rule)."""
    matches = sorted(
        (i for i in incidents if at - i.last_activity_at <= window and related(i, footprint)),
        key=lambda i: (i.opened_at, i.id),
    )
    if not matches:
        return OpenNew(footprint)
    if len(matches) == 1:
        return JoinIncident(matches[0].id)
    return MergeIncidents(into=matches[0].id, merged=tuple(i.id for i in matches[1:]))
