"""The post-incident report as data: frozen, aggregate figures only, ready to render.

Nothing here holds a customer reference: impact figures are counts with
their intervals, customer signals are counts by touchpoint and source, and
free text written by people passes through ``privacy.redact`` before it is
kept. Renderers only format what this model holds, so the privacy promise
is checked in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Figure:
    """A count with its interval at ``level`` confidence (as stored by the estimator)."""

    estimate: int
    low: int
    high: int
    level: float = 0.9

    def words(self, noun: str = "") -> str:
        """``about 1,240 customers (between 1,100 and 1,400)``; the bare count when certain."""
        counted = f"{self.estimate:,} {noun}".rstrip()
        if self.low == self.high == self.estimate:
            return counted
        return f"about {counted} (between {self.low:,} and {self.high:,})"

    def interval(self) -> str:
        """``1,100–1,400``; the level is added when it is not the usual 90%."""
        level = "" if abs(self.level - 0.9) < 1e-9 else f" ({round(self.level * 100)}%)"
        return f"{self.low:,}–{self.high:,}{level}"


@dataclass(frozen=True)
class SegmentImpact:
    """Affected customers of one segment of a touchpoint, when the estimate carries them."""

    segment: str
    affected: Figure


@dataclass(frozen=True)
class TouchpointImpact:
    """What one touchpoint's customers went through, from the estimate the report uses."""

    touchpoint: str
    name: str
    journey: str
    segments: tuple[str, ...]
    scheduled: bool
    peak_state: str | None
    affected: Figure | None
    failed_interactions: Figure | None
    exposed: Figure | None
    methods: tuple[str, ...]
    quality: tuple[str, ...]
    by_segment: tuple[SegmentImpact, ...] = ()
    """Empty when the estimate has no per-segment figures."""
    signals: int = 0


@dataclass(frozen=True)
class SignalView:
    """Customer-reported signals attached to the incident, as counts."""

    total: int
    customers: int
    low_scores: int
    by_source: Mapping[str, int]
    by_touchpoint: Mapping[str, Mapping[str, int]]
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class Milestone:
    """One moment of the incident's handling and how it was found."""

    key: str
    label: str
    at: datetime | None
    basis: str


@dataclass(frozen=True)
class Durations:
    """The handling times, None when a milestone is missing."""

    detect: timedelta | None
    acknowledge: timedelta | None
    communicate: timedelta | None
    mitigate: timedelta | None
    resolve: timedelta | None


@dataclass(frozen=True)
class Milestones:
    """Impact start, the handling milestones and the durations between them."""

    items: tuple[Milestone, ...]
    durations: Durations

    def at(self, key: str) -> datetime | None:
        """When the milestone ``key`` happened, if it did."""
        for item in self.items:
            if item.key == key:
                return item.at
        return None


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the incident's timeline, in words safe to show."""

    at: datetime
    kind: str
    source: str
    text: str


@dataclass(frozen=True)
class Communication:
    """A message that went out: Slack, a page, the status page, customers or a webhook."""

    at: datetime
    channel: str
    """``slack``, ``page``, ``status_page``, ``customer_message``, ``webhook``."""
    target: str
    text: str


@dataclass(frozen=True)
class PlaybookStep:
    """A playbook step that ran, with its result."""

    at: datetime
    playbook: str
    step: str
    action: str
    result: str


@dataclass(frozen=True)
class ComponentView:
    """A component that contributed to the incident."""

    id: str
    name: str
    kind: str
    team: str | None
    root: bool


@dataclass(frozen=True)
class AlertView:
    """The occurrences of one alert name."""

    name: str
    occurrences: int
    still_firing: int
    first_start: datetime
    last_end: datetime | None
    components: tuple[str, ...]


@dataclass(frozen=True)
class ActionItemView:
    """A follow-up agreed after the incident."""

    id: int
    title: str
    owner: str | None
    status: str
    due_on: str | None


@dataclass(frozen=True)
class SeriesPoint:
    """Affected customers so far at one estimate, with the normal traffic when known."""

    at: datetime
    estimate: int
    low: int
    high: int
    normal: int | None = None


@dataclass(frozen=True)
class StateSpan:
    """A touchpoint in one non-operational state, clipped to the incident."""

    state: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Report:
    """Everything a post-incident report says about one incident."""

    incident_id: int
    title: str
    company: str
    state: str
    severity: str
    opened_at: datetime
    resolved_at: datetime | None
    generated_at: datetime
    window_start: datetime
    window_end: datetime
    estimate_status: str
    """``final``, ``provisional`` (a live estimate) or ``missing``."""
    estimate_at: datetime | None
    summary: str
    root_cause: str | None
    explanation: tuple[str, ...]
    impacts: tuple[TouchpointImpact, ...]
    signals: SignalView
    milestones: Milestones
    timeline: tuple[TimelineEntry, ...]
    alert_events: int
    communications: tuple[Communication, ...]
    playbook_steps: tuple[PlaybookStep, ...]
    components: tuple[ComponentView, ...]
    alerts: tuple[AlertView, ...]
    action_items: tuple[ActionItemView, ...]
    series: Mapping[str, tuple[SeriesPoint, ...]] = field(default_factory=dict)
    bands: Mapping[str, tuple[StateSpan, ...]] = field(default_factory=dict)

    @property
    def duration(self) -> timedelta:
        """From the first alert to resolution (or to when the report was written)."""
        return self.window_end - self.window_start


def human_duration(value: timedelta | None) -> str:
    """``1 h 05 min``, ``12 min``, ``40 s``; an em dash when unknown."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min"
    return f"{sign}{secs} s"


def plain_duration(value: timedelta) -> str:
    """``1 hour and 5 minutes``: for the summary, readable outside IT."""
    minutes = max(0, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " and ".join(parts)
