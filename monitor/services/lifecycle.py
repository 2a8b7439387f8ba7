"""The life of alert-driven incidents: open, join, merge, go quiet, reopen, resolve.

Rules, in the words an on-call engineer would use:

- A firing alert joins the open incident whose touchpoints (or, failing that,
  components) it shares, if that incident was active within the grouping
  window; when it shares them with several, those incidents merge into the
  oldest, timelines included. Otherwise it opens a new incident.
- When every alert of an incident has resolved, the incident goes to
  ``monitoring`` and stays there for a quiet period; a new alert in that period
  reopens it (back to its previous state) instead of opening a twin. After the
  quiet period it resolves by itself.
- A series that starts again and again within the flap window marks its
  incident as flapping: the incident then stops toggling between states on
  every resolve and waits for the longer of the quiet period and the flap
  window before resolving.
- Alerts under maintenance, and resolutions of occurrences never seen firing,
  are recorded but open nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.catalog import Catalog
from monitor.correlate.grouping import (
    Footprint,
    JoinIncident,
    MergeIncidents,
    OpenIncident,
    decide,
)
from monitor.domain import Alert, EventKind, IncidentState, Severity, TouchpointState
from monitor.services.correlation import AlertImpact, IncidentPicture
from monitor.settings import Settings
from monitor.store import UnitOfWork
from monitor.store.repositories.alerts import Recorded
from monitor.store.repositories.incidents import ActiveIncident

SYSTEM = "monitor"


@dataclass(frozen=True)
class Placed:
    """The incident an alert went to, and the incidents merged into it."""

    incident_id: int
    merged: tuple[int, ...]
    news: bool = True
    """False when the alert only joined an incident and hurt no touchpoint new to it."""


class Lifecycle:
    """Applies the rules above inside the caller's unit of work."""

    def __init__(self, *, catalog: Catalog, settings: Settings) -> None:
        self._catalog = catalog
        self._window = timedelta(seconds=settings.group_window_seconds)
        self._quiet = timedelta(seconds=settings.resolve_quiet_seconds)
        self._flap_window = timedelta(seconds=settings.flap_window_seconds)
        self._flap_threshold = settings.flap_threshold

    def fired(
        self,
        uow: UnitOfWork,
        recorded: Recorded,
        impact: AlertImpact,
        *,
        active: dict[int, ActiveIncident],
    ) -> Placed:
        """Put a newly firing occurrence into an incident.

        ``active`` is the caller's view of the incidents alerts may join, loaded
        once per batch and kept current here, so that alerts of one batch group
        with each other and the incidents are not re-read for every alert.
        """
        alert = recorded.alert
        footprint = Footprint.of_alert(
            alert, touchpoints=impact.touchpoints, components=impact.components
        )
        decision = decide(
            incidents=[_open_incident(i) for i in active.values()],
            footprint=footprint,
            at=alert.starts_at,
            window=self._window,
        )
        merged: tuple[int, ...] = ()
        opened = False
        if isinstance(decision, JoinIncident):
            incident_id = decision.incident_id
        elif isinstance(decision, MergeIncidents):
            incident_id, merged = decision.into, decision.merged
        else:
            incident_id = self._open(uow, alert, impact)
            active[incident_id] = _fresh(incident_id, alert)
            opened = True
        self._wake(uow, active[incident_id], alert)
        target = active[incident_id]
        woken = target.quiet_since is not None or _woken_state(target) != target.state
        for other in merged:
            self._merge(uow, loser=other, winner=incident_id, at=alert.starts_at)
            gone = active.pop(other)
            target = replace(
                target,
                touchpoints=target.touchpoints | gone.touchpoints,
                components=target.components | gone.components,
                group_keys=target.group_keys | gone.group_keys,
            )
        # a touchpoint this incident did not hurt yet changes what people are told
        widened = not impact.touchpoints <= target.touchpoints
        keys = target.group_keys | ({footprint.key} if footprint.key else set())
        components = target.components | impact.components
        active[incident_id] = replace(
            target,
            touchpoints=target.touchpoints | impact.touchpoints,
            components=components,
            group_keys=frozenset(keys),
            last_activity_at=max(target.last_activity_at, alert.starts_at),
            quiet_since=None,
            state=_woken_state(target),
        )
        uow.incidents.update(
            incident_id, {"group_keys": sorted(keys), "components": sorted(components)}
        )
        uow.alerts.assign(recorded.id, incident_id)
        uow.incidents.append_event(
            incident_id,
            at=alert.starts_at,
            kind=EventKind.ALERT_FIRED,
            source=alert.source,
            summary=f"{alert.name} fired: {alert.summary}",
            data=_alert_data(alert, impact),
        )
        self._touch(uow, incident_id, alert.starts_at)
        self._check_flapping(uow, incident_id, alert, starts=recorded.recent_starts)
        news = opened or woken or bool(merged) or widened
        return Placed(incident_id, merged, news=news)

    def resolved(
        self, uow: UnitOfWork, recorded: Recorded, *, firing: int | None = None
    ) -> int | None:
        """Note a resolution; after the last firing alert, start the quiet period.

        ``firing``, the occurrences of the incident still firing when the caller
        follows them, spares counting them in the store: that count grows with
        the incident, and a storm resolves thousands of its alerts one by one.
        """
        incident_id = recorded.incident_id
        if incident_id is None:
            return None
        alert = recorded.alert
        at = alert.ends_at or alert.starts_at
        uow.incidents.append_event(
            incident_id,
            at=at,
            kind=EventKind.ALERT_RESOLVED,
            source=alert.source,
            summary=f"{alert.name} resolved",
            data={"fingerprint": alert.fingerprint, "starts_at": alert.starts_at.isoformat()},
        )
        self._touch(uow, incident_id, at)
        if firing is None:
            firing, _total = uow.alerts.counts(incident_id)
        if firing:
            return incident_id
        incident = uow.incidents.active_one(incident_id)
        if incident is None or incident.declared:
            return incident_id  # resolved, or a person's to close
        changes: dict[str, object] = {"quiet_since": at, "updated_at": at}
        if not incident.flapping and incident.state is not IncidentState.MONITORING:
            changes |= {"state": IncidentState.MONITORING, "state_before_quiet": incident.state}
            uow.incidents.add_event(
                incident_id,
                at=at,
                kind=EventKind.ALERTS_QUIET,
                source=SYSTEM,
                summary="All alerts resolved; monitoring for "
                f"{int(self._quiet.total_seconds())} s before resolving",
            )
        uow.incidents.update(incident_id, changes)
        return incident_id

    def refresh(
        self,
        uow: UnitOfWork,
        incident_id: int,
        picture: IncidentPicture,
        *,
        counts: tuple[int, int] | None = None,
    ) -> None:
        """Bring an incident's touchpoints, explanation and derived severity up to date.

        ``counts`` are its (firing, total) occurrences when the caller follows
        them.
        """
        incident = uow.incidents.get(incident_id, counts=counts)
        if incident.firing_alerts == 0:
            return  # keep the last picture: the report needs what was hurt
        changes: dict[str, object] = {
            "components": sorted(set(incident.components) | set(picture.components)),
            "explanation": list(picture.explanation),
            "root_cause_hint": picture.root_cause_hint,
        }
        at = incident.updated_at
        if dict(picture.touchpoints) != dict(incident.touchpoints):
            changes["touchpoints"] = dict(picture.touchpoints)
            changes["peak_touchpoints"] = worst_states(
                incident.peak_touchpoints, picture.touchpoints
            )
            uow.incidents.add_event(
                incident_id,
                at=at,
                kind=EventKind.TOUCHPOINTS_CHANGED,
                source=SYSTEM,
                summary=_touchpoints_summary(self._catalog, picture.touchpoints),
                data={k: v.value for k, v in picture.touchpoints.items()},
            )
            changes["title"] = _title(self._catalog, picture, fallback=incident.title)
        severity = derived_severity(picture.touchpoints)
        # Severity only rises by itself: an incident that was sev1 stays sev1 for the
        # report even as it recovers; people may lower it explicitly.
        if (
            not incident.severity_overridden
            and _SEVERITY_RANK[severity] < _SEVERITY_RANK[incident.severity]
        ):
            changes["severity"] = severity
            uow.incidents.add_event(
                incident_id,
                at=at,
                kind=EventKind.SEVERITY_CHANGED,
                source=SYSTEM,
                summary=f"Severity {incident.severity.value} → {severity.value} from impact",
                data={"from": incident.severity.value, "to": severity.value},
            )
        uow.incidents.update(incident_id, changes)

    def resolve_quiet(self, uow: UnitOfWork, *, now: datetime) -> list[int]:
        """Resolve incidents whose alerts stayed quiet for the whole quiet period."""
        done = []
        longest = max(self._quiet, self._flap_window)
        for incident_id in uow.incidents.quiet_until(before=now - self._quiet):
            incident = uow.incidents.get(incident_id)
            if incident.firing_alerts:
                continue
            quiet_since = incident.quiet_since
            if incident.flapping and quiet_since and quiet_since > now - longest:
                continue
            uow.incidents.update(
                incident_id,
                {"state": IncidentState.RESOLVED, "resolved_at": now, "updated_at": now},
            )
            uow.incidents.add_event(
                incident_id,
                at=now,
                kind=EventKind.STATE_CHANGED,
                source=SYSTEM,
                summary="Resolved: no alert fired during the quiet period",
                data={"from": incident.state.value, "to": IncidentState.RESOLVED.value},
            )
            done.append(incident_id)
        return done

    def _open(self, uow: UnitOfWork, alert: Alert, impact: AlertImpact) -> int:
        title = f"{alert.name}: {alert.summary}" if alert.summary != alert.name else alert.name
        incident_id = uow.incidents.open(
            title=title,
            at=alert.starts_at,
            severity=Severity.SEV4,
            components=impact.components,
        )
        uow.incidents.add_event(
            incident_id,
            at=alert.starts_at,
            kind=EventKind.OPENED,
            source=SYSTEM,
            summary=f"Opened by {alert.name}",
            data={"unmapped": impact.unmapped},
        )
        return incident_id

    def _wake(self, uow: UnitOfWork, incident: ActiveIncident, alert: Alert) -> None:
        if incident.quiet_since is None:
            return
        changes: dict[str, object] = {"quiet_since": None}
        if incident.state is IncidentState.MONITORING and not incident.flapping:
            back = incident.state_before_quiet or IncidentState.INVESTIGATING
            changes |= {"state": back, "state_before_quiet": None}
            uow.incidents.add_event(
                incident.id,
                at=alert.starts_at,
                kind=EventKind.REOPENED,
                source=SYSTEM,
                summary=f"{alert.name} fired during the quiet period; back to {back.value}",
            )
        uow.incidents.update(incident.id, changes)

    def _merge(self, uow: UnitOfWork, *, loser: int, winner: int, at: datetime) -> None:
        moved = uow.alerts.move(from_incident=loser, to_incident=winner)
        uow.incidents.update(
            loser,
            {"state": IncidentState.RESOLVED, "resolved_at": at, "merged_into_id": winner},
        )
        uow.incidents.add_event(
            loser,
            at=at,
            kind=EventKind.MERGED,
            source=SYSTEM,
            summary=f"Merged into incident {winner}: a shared cause was found",
            data={"into": winner},
        )
        uow.incidents.add_event(
            winner,
            at=at,
            kind=EventKind.MERGED,
            source=SYSTEM,
            summary=f"Incident {loser} merged in ({moved} alerts): a shared cause was found",
            data={"from": loser, "alerts": moved},
        )

    def _touch(self, uow: UnitOfWork, incident_id: int, at: datetime) -> None:
        uow.incidents.touch(incident_id, at=at)

    def flap_since(self, alert: Alert) -> datetime:
        """Since when an alert's earlier starts count towards flapping (for ``record``)."""
        return self.flap_since_time(alert.starts_at)

    def flap_since_time(self, starts_at: datetime) -> datetime:
        """Since when starts count towards flapping for an occurrence starting at ``starts_at``."""
        return starts_at - self._flap_window

    def _check_flapping(
        self, uow: UnitOfWork, incident_id: int, alert: Alert, *, starts: int
    ) -> None:
        if starts < self._flap_threshold:
            return
        incident = uow.incidents.get(incident_id)
        if incident.flapping:
            return
        uow.incidents.update(incident_id, {"flapping": True})
        uow.incidents.add_event(
            incident_id,
            at=alert.starts_at,
            kind=EventKind.FLAPPING,
            source=SYSTEM,
            summary=f"{alert.name} started {starts} times in "
            f"{int(self._flap_window.total_seconds() // 60)} min: treated as flapping",
            data={"fingerprint": alert.fingerprint, "starts": starts},
        )


_SEVERITY_RANK = {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 3, Severity.SEV4: 4}


_STATE_RANK = {
    TouchpointState.OPERATIONAL: 0,
    TouchpointState.UNDER_MAINTENANCE: 1,
    TouchpointState.DEGRADED_PERFORMANCE: 2,
    TouchpointState.PARTIAL_OUTAGE: 3,
    TouchpointState.MAJOR_OUTAGE: 4,
}


def worst_states(
    a: Mapping[str, TouchpointState], b: Mapping[str, TouchpointState]
) -> dict[str, TouchpointState]:
    """Per touchpoint, the worse of two states."""
    merged = dict(a)
    for touchpoint, state in b.items():
        if _STATE_RANK[state] > _STATE_RANK[merged.get(touchpoint, TouchpointState.OPERATIONAL)]:
            merged[touchpoint] = state
    return merged


def derived_severity(touchpoints: Mapping[str, TouchpointState]) -> Severity:
    """Severity from customer impact: the worst touchpoint state decides."""
    states = set(touchpoints.values())
    if TouchpointState.MAJOR_OUTAGE in states:
        return Severity.SEV1
    if TouchpointState.PARTIAL_OUTAGE in states:
        return Severity.SEV2
    if TouchpointState.DEGRADED_PERFORMANCE in states:
        return Severity.SEV3
    return Severity.SEV4


def _fresh(incident_id: int, alert: Alert) -> ActiveIncident:
    return ActiveIncident(
        id=incident_id,
        opened_at=alert.starts_at,
        last_activity_at=alert.starts_at,
        state=IncidentState.INVESTIGATING,
        quiet_since=None,
        state_before_quiet=None,
        declared=False,
        touchpoints=frozenset(),
        components=frozenset(),
        severity_overridden=False,
        flapping=False,
        group_keys=frozenset(),
    )


def _woken_state(incident: ActiveIncident) -> IncidentState:
    if incident.quiet_since is None or incident.flapping:
        return incident.state
    if incident.state is IncidentState.MONITORING:
        return incident.state_before_quiet or IncidentState.INVESTIGATING
    return incident.state


def _open_incident(incident: ActiveIncident) -> OpenIncident:
    return OpenIncident(
        id=incident.id,
        touchpoints=incident.touchpoints,
        components=incident.components,
        opened_at=incident.opened_at,
        last_activity_at=incident.last_activity_at,
        keys=incident.group_keys,
    )


def _alert_data(alert: Alert, impact: AlertImpact) -> dict[str, object]:
    return {
        "fingerprint": alert.fingerprint,
        "starts_at": alert.starts_at.isoformat(),
        "labels": dict(alert.labels),
        "components": sorted(impact.components),
        "touchpoints": sorted(impact.touchpoints),
        "unmapped": impact.unmapped,
    }


def _touchpoints_summary(catalog: Catalog, states: Mapping[str, TouchpointState]) -> str:
    if not states:
        return "No customer touchpoint is affected any more"
    parts = [
        f"{catalog.touchpoints[t].name if t in catalog.touchpoints else t}: {s.value}"
        for t, s in sorted(states.items())
    ]
    return "Customer impact: " + ", ".join(parts)


def _title(catalog: Catalog, picture: IncidentPicture, *, fallback: str) -> str:
    if not picture.touchpoints:
        return fallback
    names = [
        catalog.touchpoints[t].name if t in catalog.touchpoints else t
        for t in sorted(picture.touchpoints)
    ]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    cause = f" ({picture.root_cause_hint})" if picture.root_cause_hint else ""
    return f"{shown} affected{cause}"
