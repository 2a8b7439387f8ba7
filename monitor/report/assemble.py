"""Assembling a ``Report`` from what the store holds about one incident.

Figures come from the incident's estimate events as written by
``services.estimation`` (the final one when there is one, else the latest,
marked provisional); customer signals from ``services.signals.signal_summary``
(counts only); milestones from ``report.milestones``. Event data is read
field by field, never copied whole, so customer references in it cannot reach
a report; free text is redacted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.catalog import Catalog
from monitor.domain import EventKind, Incident, IncidentEvent
from monitor.report.milestones import CUSTOMER_MESSAGE, compute_milestones
from monitor.report.model import (
    ActionItemView,
    AlertView,
    Communication,
    ComponentView,
    Figure,
    PlaybookStep,
    Report,
    SegmentImpact,
    SeriesPoint,
    SignalView,
    StateSpan,
    TimelineEntry,
    TouchpointImpact,
)
from monitor.report.privacy import redact
from monitor.report.words import summary_paragraph
from monitor.services.signals import signal_summary
from monitor.store import UnitOfWork
from monitor.store.repositories.reports import AlertGroup
from monitor.store.repositories.touchpoints import StatePeriod

_ALERT_KINDS = (EventKind.ALERT_FIRED, EventKind.ALERT_RESOLVED)
_CHANNEL_OF_ACTION = {
    "slack_post": "slack",
    "slack_head_update": "slack",
    "page": "page",
    "status_page": "status_page",
    "customer_message": CUSTOMER_MESSAGE,
    "webhook": "webhook",
}


def build_report(uow: UnitOfWork, *, catalog: Catalog, incident_id: int, now: datetime) -> Report:
    """The report of one incident as the store holds it at ``now``."""
    incident = uow.incidents.get(incident_id)
    counts = uow.reports.event_counts(incident_id)
    events = uow.reports.events(incident_id, without=_ALERT_KINDS)
    groups = uow.reports.alert_groups(incident_id)
    end = incident.resolved_at or now
    touchpoints = _touchpoints_of(incident, catalog)
    periods = [
        p
        for p in uow.touchpoints.periods(since=incident.opened_at)
        if p.touchpoint in touchpoints and p.since < end
    ]
    signals = signal_summary(uow, incident_id, samples=0)
    items = uow.action_items.of_incident(incident_id)
    estimates = [e for e in events if e.kind is EventKind.ESTIMATE_UPDATED]
    chosen = _chosen_estimate(estimates)
    figures = _figures(chosen)
    first_alert = counts.get(EventKind.ALERT_FIRED, (0, None))[1]
    first_receipt = min((g.first_received for g in groups), default=None)
    milestones = compute_milestones(
        incident=incident,
        events=events,
        first_alert=first_alert,
        first_receipt=first_receipt,
        periods=periods,
    )
    signal_view = SignalView(
        total=signals.signals,
        customers=signals.customers,
        low_scores=signals.low_scores,
        by_source=dict(signals.by_source),
        by_touchpoint={k: dict(v) for k, v in signals.by_touchpoint_and_source.items()},
        first_at=signals.first_at,
        last_at=signals.last_at,
    )
    impacts = tuple(
        _impact(
            tp,
            catalog=catalog,
            incident=incident,
            figures=figures.get(tp),
            signals=signals.by_touchpoint.get(tp, 0),
        )
        for tp in touchpoints
    )
    root = _component_name(catalog, incident.root_cause_hint)
    names = {
        tp: catalog.touchpoints[tp].name if tp in catalog.touchpoints else tp for tp in touchpoints
    }
    report = Report(
        incident_id=incident.id,
        title=redact(incident.title),
        company=catalog.company,
        state=incident.state.value,
        severity=incident.severity.value,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        generated_at=now,
        window_start=incident.opened_at,
        window_end=end,
        estimate_status="missing"
        if chosen is None
        else "final"
        if chosen.data.get("final")
        else "provisional",
        estimate_at=chosen.at if chosen else None,
        summary="",
        root_cause=root,
        explanation=tuple(redact(line) for line in incident.explanation),
        impacts=impacts,
        signals=signal_view,
        milestones=milestones,
        timeline=_timeline(events, groups=groups, first_alert=first_alert),
        alert_events=sum(counts.get(k, (0, None))[0] for k in _ALERT_KINDS),
        communications=_communications(events),
        playbook_steps=_steps(events),
        components=_components(incident, catalog),
        alerts=tuple(
            AlertView(
                name=redact(g.name),
                occurrences=g.occurrences,
                still_firing=g.firing,
                first_start=g.first_start,
                last_end=g.last_end,
                components=g.components,
            )
            for g in groups
        ),
        action_items=tuple(
            ActionItemView(
                id=i.id,
                title=redact(i.title),
                owner=i.owner,
                status=i.status.value,
                due_on=i.due_on,
            )
            for i in items
        ),
        series=_series(estimates, touchpoints),
        bands=_bands(periods, touchpoints, start=incident.opened_at, end=end),
    )
    return _with_summary(report, names)


def _with_summary(report: Report, names: Mapping[str, str]) -> Report:
    return replace(report, summary=summary_paragraph(report, names=names))


def _touchpoints_of(incident: Incident, catalog: Catalog) -> list[str]:
    named = set(incident.peak_touchpoints) | set(incident.touchpoints)
    known = [tp for tp in catalog.touchpoints if tp in named]
    return known + sorted(named - set(known))


def _chosen_estimate(estimates: Sequence[IncidentEvent]) -> IncidentEvent | None:
    finals = [e for e in estimates if e.data.get("final")]
    if finals:
        return finals[-1]
    return estimates[-1] if estimates else None


def _figures(event: IncidentEvent | None) -> dict[str, Mapping[str, Any]]:
    if event is None:
        return {}
    touchpoints = event.data.get("touchpoints")
    if not isinstance(touchpoints, Mapping):
        return {}
    return {str(k): v for k, v in touchpoints.items() if isinstance(v, Mapping)}


def figure(value: object) -> Figure | None:
    """A ``{"estimate", "low", "high", "level"}`` mapping as a Figure; None when malformed."""
    if not isinstance(value, Mapping):
        return None
    try:
        return Figure(
            estimate=int(value["estimate"]),
            low=int(value["low"]),
            high=int(value["high"]),
            level=float(value.get("level", 0.9)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _impact(
    touchpoint: str,
    *,
    catalog: Catalog,
    incident: Incident,
    figures: Mapping[str, Any] | None,
    signals: int,
) -> TouchpointImpact:
    spec = catalog.touchpoints.get(touchpoint)
    peak = incident.peak_touchpoints.get(touchpoint) or incident.touchpoints.get(touchpoint)
    data = figures or {}
    segments = data.get("segments")
    by_segment: list[SegmentImpact] = []
    if isinstance(segments, Mapping):
        for name, values in segments.items():
            affected = (
                figure(values.get("affected_customers")) if isinstance(values, Mapping) else None
            )
            if affected is not None:
                by_segment.append(SegmentImpact(str(name), affected))
    return TouchpointImpact(
        touchpoint=touchpoint,
        name=spec.name if spec else touchpoint,
        journey=spec.journey if spec else "",
        segments=spec.segments if spec else (),
        scheduled=spec.scheduled if spec else False,
        peak_state=peak.value if peak else None,
        affected=figure(data.get("affected_customers")),
        failed_interactions=figure(data.get("failed_interactions")),
        exposed=figure(data.get("exposed_customers")),
        methods=tuple(str(m) for m in data.get("methods") or ()),
        quality=tuple(redact(str(q)) for q in data.get("quality") or ()),
        by_segment=tuple(by_segment),
        signals=signals,
    )


def _series(
    estimates: Sequence[IncidentEvent], touchpoints: Sequence[str]
) -> dict[str, tuple[SeriesPoint, ...]]:
    found: dict[str, list[SeriesPoint]] = {tp: [] for tp in touchpoints}
    for event in estimates:
        at = _window_end(event)
        for tp, values in _figures(event).items():
            so_far = figure(values.get("affected_so_far")) or figure(
                values.get("affected_customers")
            )
            if so_far is None:
                continue
            normal = figure(values.get("normal_customers"))
            found.setdefault(tp, []).append(
                SeriesPoint(
                    at,
                    so_far.estimate,
                    so_far.low,
                    so_far.high,
                    normal.estimate if normal else None,
                )
            )
    return {tp: tuple(points) for tp, points in found.items() if points}


def _window_end(event: IncidentEvent) -> datetime:
    window = event.data.get("window")
    if isinstance(window, Mapping) and isinstance(window.get("end"), str):
        try:
            return datetime.fromisoformat(str(window["end"]))
        except ValueError:
            pass
    return event.at


def _bands(
    periods: Sequence[StatePeriod], touchpoints: Sequence[str], *, start: datetime, end: datetime
) -> dict[str, tuple[StateSpan, ...]]:
    bands: dict[str, list[StateSpan]] = {tp: [] for tp in touchpoints}
    for p in periods:
        lo, hi = max(p.since, start), min(p.until or end, end)
        if hi > lo:
            bands.setdefault(p.touchpoint, []).append(StateSpan(p.state.value, lo, hi))
    return {tp: tuple(spans) for tp, spans in bands.items()}


def _timeline(
    events: Sequence[IncidentEvent], *, groups: Sequence[AlertGroup], first_alert: datetime | None
) -> tuple[TimelineEntry, ...]:
    entries: list[TimelineEntry] = []
    estimates = [e for e in events if e.kind is EventKind.ESTIMATE_UPDATED]
    shown_estimates = {id(e) for e in estimates[:1]} | {
        id(e) for e in estimates if e.data.get("final")
    }
    for event in events:
        if event.kind is EventKind.ESTIMATE_UPDATED and id(event) not in shown_estimates:
            continue
        entries.append(
            TimelineEntry(event.at, event.kind.value, redact(event.source), redact(event.summary))
        )
    if first_alert is not None and groups:
        first = min(groups, key=lambda g: g.first_start)
        entries.append(
            TimelineEntry(
                first_alert,
                EventKind.ALERT_FIRED.value,
                "alerts",
                f"First alert: {redact(first.name)}",
            )
        )
    return tuple(sorted(entries, key=lambda e: e.at))


def _communications(events: Sequence[IncidentEvent]) -> tuple[Communication, ...]:
    found: list[Communication] = []
    for event in events:
        if event.kind is EventKind.PUBLIC_UPDATE:
            target = event.data.get("touchpoint")
            text = event.data.get("en") or event.summary
            found.append(
                Communication(event.at, "status_page", str(target or "all"), redact(str(text)))
            )
        elif event.kind in (EventKind.MESSAGE_SENT, EventKind.PLAYBOOK_STEP):
            action = str(event.data.get("action") or "")
            channel = _CHANNEL_OF_ACTION.get(action)
            if channel is None or (
                channel == "status_page" and event.kind is EventKind.PLAYBOOK_STEP
            ):
                continue  # status page steps are listed by their public update
            target = event.data.get("channel") or ""
            found.append(
                Communication(event.at, channel, redact(str(target)), redact(event.summary))
            )
    return tuple(found)


def _steps(events: Sequence[IncidentEvent]) -> tuple[PlaybookStep, ...]:
    found: list[PlaybookStep] = []
    for event in events:
        if event.kind not in (EventKind.PLAYBOOK_STEP, EventKind.MESSAGE_SENT):
            continue
        playbook = str(event.data.get("playbook") or event.source.removeprefix("playbook:"))
        action = str(event.data.get("action") or ("start" if "planned" in event.data else "step"))
        found.append(
            PlaybookStep(
                at=event.at,
                playbook=redact(playbook),
                step=redact(str(event.data.get("step") or action)),
                action=action,
                result=redact(event.summary),
            )
        )
    return tuple(found)


def _components(incident: Incident, catalog: Catalog) -> tuple[ComponentView, ...]:
    views = []
    for cid in incident.components:
        spec = catalog.components.get(cid)
        views.append(
            ComponentView(
                id=cid,
                name=spec.name if spec else cid,
                kind=spec.kind.value if spec else "unknown",
                team=spec.team if spec else None,
                root=cid == incident.root_cause_hint,
            )
        )
    return tuple(sorted(views, key=lambda v: (not v.root, v.id)))


def _component_name(catalog: Catalog, node: str | None) -> str | None:
    if node is None:
        return None
    if node in catalog.components:
        return catalog.components[node].name
    if node in catalog.groups:
        return catalog.groups[node].name
    return node
