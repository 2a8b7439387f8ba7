"""What templates and triggers see of an incident: a plain, JSON-like context.

The impact estimate comes from the latest ``estimate_updated`` timeline event;
until there is one, every figure is "estimate pending", never 0, because a
zero would tell on-call people and customers that nobody is hurt. What
customers said (complaints and low scores attached to the incident) is in
``signals``, in all and per touchpoint, with a line for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.catalog import Catalog
from monitor.domain import Incident, IncidentState, Severity, TouchpointState
from monitor.playbooks.templates import format_customers


@dataclass(frozen=True)
class IncidentView:
    """An incident with what playbooks need around it, read in one unit of work."""

    incident: Incident
    now: datetime
    estimate: Mapping[str, Any] | None = None
    """``data`` of the latest estimate_updated event, if any."""
    unmapped_alerts: tuple[str, ...] = ()
    customer_reports: int = 0
    links: Mapping[str, str] = field(default_factory=dict)
    signals: Mapping[str, Any] | None = None
    """Complaints and low scores of the incident (``services.signals.signal_counts``)."""
    low_scores: tuple[Mapping[str, Any], ...] = ()
    """The low scores followed up for the incident, for ``low_score`` playbooks."""

    def affected(self, touchpoint: str) -> Mapping[str, Any] | None:
        """The affected-customers interval of a touchpoint, None while pending."""
        return _interval(self.touchpoint_estimate(touchpoint).get("affected_customers"))

    def total_affected(self, touchpoints: Sequence[str] | None = None) -> Mapping[str, Any] | None:
        """Sum of the intervals of ``touchpoints`` (all estimated ones by default)."""
        ids = list(touchpoints) if touchpoints is not None else list(self.incident.touchpoints)
        found = [i for i in (self.affected(t) for t in ids) if i is not None]
        if not found:
            return None
        return {
            "estimate": sum(int(i["estimate"]) for i in found),
            "low": sum(int(i["low"]) for i in found),
            "high": sum(int(i["high"]) for i in found),
            "level": min(float(i.get("level", 0.9)) for i in found),
        }

    def duration_minutes(self) -> int:
        """Minutes since the incident opened (until it resolved)."""
        end = self.incident.resolved_at or self.now
        return max(0, int((end - self.incident.opened_at).total_seconds() // 60))

    def touchpoint_estimate(self, touchpoint: str) -> Mapping[str, Any]:
        """The estimate entry of one touchpoint (empty while pending)."""
        if not self.estimate:
            return {}
        per = self.estimate.get("touchpoints")
        if not isinstance(per, Mapping):
            return {}
        found = per.get(touchpoint)
        return found if isinstance(found, Mapping) else {}


def template_context(view: IncidentView, catalog: Catalog) -> dict[str, Any]:
    """The variables every playbook template may use (see playbooks/README in the docs)."""
    incident = view.incident
    signals = signals_context(view.signals, catalog)
    touchpoints = [
        _touchpoint(view, catalog, t, s) for t, s in sorted(incident.touchpoints.items())
    ]
    for tp in touchpoints:
        tp["signals"] = signals["by_touchpoint"].get(tp["id"], _NO_SIGNALS)
    total = view.total_affected()
    window = view.estimate.get("window") if view.estimate else None
    return {
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "state": incident.state.value,
            "severity": incident.severity.value,
            "declared": incident.declared,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "duration_minutes": view.duration_minutes(),
            "acknowledged_by": incident.acknowledged_by,
            "explanation": list(incident.explanation),
            "root_cause_hint": incident.root_cause_hint,
            "components": list(incident.components),
        },
        "touchpoints": touchpoints,
        "estimate": {
            "pending": total is None,
            "final": bool(view.estimate.get("final")) if view.estimate else False,
            "window": dict(window) if isinstance(window, Mapping) else None,
            "affected_customers": total,
            "affected_text": format_customers(total),
        },
        "unmapped": {
            "count": len(view.unmapped_alerts),
            "names": list(view.unmapped_alerts),
            "text": unmapped_line(view.unmapped_alerts),
        },
        "customer_reports": view.customer_reports,
        "signals": signals,
        "links": dict(view.links),
        "now": view.now.isoformat(),
    }


_NO_SIGNALS = {"complaints": 0, "customers": 0, "low_scores": 0}
SAMPLE_LOW_SCORE = {
    "customer_ref": "3f1c" * 16,
    "score": 2,
    "kind": "nps",
    "signal_id": 1,
    "source": "survey",
    "touchpoint": "card-payments",
    "touchpoint_name": "Card payments",
    "team": "payments",
    "at": "2026-01-26T11:00:00+00:00",
}
"""What ``low_score`` holds in a low-score playbook's templates (checked with this sample)."""


def low_score_context(data: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The ``low_score`` template variable from a low-score follow-up event's data."""
    touchpoint = data.get("touchpoint")
    spec = catalog.touchpoints.get(str(touchpoint)) if touchpoint else None
    return {
        "customer_ref": data.get("customer_ref"),
        "score": data.get("score"),
        "kind": data.get("score_kind"),
        "signal_id": data.get("signal_id"),
        "source": data.get("source"),
        "touchpoint": touchpoint,
        "touchpoint_name": spec.name if spec else None,
        "team": spec.team if spec else None,
        "at": data.get("answered_at") or data.get("at"),
    }


def signals_context(counts: Mapping[str, Any] | None, catalog: Catalog) -> dict[str, Any]:
    """Complaints, complaining customers and low scores, in all and per touchpoint, and a line.

    ``text`` is empty when customers said nothing, so a template or the head
    message can leave the line out; ``sentence`` is the same as a sentence.
    """
    found = counts or {}
    per = found.get("by_touchpoint")
    by_touchpoint = {
        str(tp): {k: int(figures.get(k, 0)) for k in _NO_SIGNALS}
        for tp, figures in (per.items() if isinstance(per, Mapping) else ())
        if isinstance(figures, Mapping)
    }
    parts = []
    for tp, figures in sorted(by_touchpoint.items()):
        spec = catalog.touchpoints.get(tp)
        said = _said(figures)
        if said:
            parts.append(f"{spec.name if spec else tp}: {said}")
    text = " · ".join(parts)
    return {
        **{k: int(found.get(k, 0)) for k in _NO_SIGNALS},
        "by_touchpoint": by_touchpoint,
        "text": text,
        "sentence": f"Customer signals: {text}." if text else "",
    }


def _said(figures: Mapping[str, int]) -> str:
    bits = []
    if figures["customers"]:
        who = "customer" if figures["customers"] == 1 else "customers"
        noun = "message" if figures["complaints"] == 1 else "messages"
        bits.append(f"{figures['customers']} {who} complained ({figures['complaints']} {noun})")
    if figures["low_scores"]:
        plural = "s" if figures["low_scores"] > 1 else ""
        bits.append(f"{figures['low_scores']} low score{plural}")
    return ", ".join(bits)


def unmapped_line(names: Sequence[str]) -> str:
    """``2 alerts not in the catalog: DiskAlmostFull, …`` or an empty string."""
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    noun = "alert" if len(names) == 1 else "alerts"
    return f"{len(names)} {noun} not in the catalog: {shown}"


def sample_view(catalog: Catalog, *, now: datetime | None = None) -> IncidentView:
    """A plausible incident touching every touchpoint, to render templates in ``check``."""
    at = now or datetime(2026, 1, 26, 9, 0, tzinfo=UTC)
    touchpoints = dict.fromkeys(catalog.touchpoints, TouchpointState.MAJOR_OUTAGE)
    incident = Incident(
        id=1,
        title="Sample incident",
        state=IncidentState.INVESTIGATING,
        severity=Severity.SEV1,
        severity_overridden=False,
        declared=False,
        opened_at=at,
        updated_at=at,
        resolved_at=None,
        quiet_since=None,
        acknowledged_by=None,
        acknowledged_at=None,
        touchpoints=touchpoints,
        peak_touchpoints=touchpoints,
        components=tuple(sorted(catalog.components)[:1]),
        root_cause_hint="sample",
        explanation=("touchpoint ← component (alert Sample)",),
        merged_into=None,
        flapping=False,
        firing_alerts=1,
        total_alerts=1,
    )
    interval = {"estimate": 1200, "low": 900, "high": 1500, "level": 0.9}
    estimate = {
        "final": False,
        "window": {"start": at.isoformat(), "end": at.isoformat()},
        "touchpoints": {t: {"affected_customers": interval} for t in catalog.touchpoints},
    }
    return IncidentView(
        incident=incident,
        now=at,
        estimate=estimate,
        unmapped_alerts=("DiskAlmostFull",),
        customer_reports=1,
        signals={
            "complaints": 4,
            "customers": 3,
            "low_scores": 1,
            "by_touchpoint": {
                t: {"complaints": 4, "customers": 3, "low_scores": 1}
                for t in sorted(catalog.touchpoints)[:1]
            },
        },
        links={
            "incident": "http://monitor/api/v1/incidents/1",
            "status_api": "http://monitor",
            "report": "http://monitor/api/v1/incidents/1/report?format=html",
        },
    )


def _touchpoint(
    view: IncidentView, catalog: Catalog, touchpoint_id: str, state: TouchpointState
) -> dict[str, Any]:
    spec = catalog.touchpoints.get(touchpoint_id)
    team = catalog.teams.get(spec.team) if spec else None
    affected = view.affected(touchpoint_id)
    estimate = view.touchpoint_estimate(touchpoint_id)
    return {
        "id": touchpoint_id,
        "name": spec.name if spec else touchpoint_id,
        "journey": spec.journey if spec else "",
        "state": state.value,
        "segments": list(spec.segments) if spec else [],
        "team": spec.team if spec else None,
        "team_name": team.name if team else None,
        "channel": spec.slack_channel if spec else None,
        "affected_customers": affected,
        "affected_text": format_customers(affected),
        "failed_interactions": _interval(estimate.get("failed_interactions")),
        "exposed_customers": _interval(estimate.get("exposed_customers")),
    }


def _interval(value: object) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping) and isinstance(value.get("estimate"), int | float):
        return value
    return None
