"""Domain objects shared by every pipeline stage.

Frozen dataclasses and enums only: no I/O, no ORM, no HTTP schemas. The stages
exchange these so that each stage can be tested without a database or network.
The vocabulary (state and indicator names) is the one customers and status
pages use, so the same words reach the API, Slack and the reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property


class AlertStatus(StrEnum):
    """Whether an alert is still firing."""

    FIRING = "firing"
    RESOLVED = "resolved"


class ComponentKind(StrEnum):
    """What a catalog component is; used for explanations and topology estimates."""

    SERVICE = "service"
    DATABASE = "database"
    QUEUE = "queue"
    CACHE = "cache"
    NETWORK = "network"
    REGION = "region"
    THIRD_PARTY = "third-party"
    BATCH_JOB = "batch-job"
    IDENTITY = "identity"
    STORAGE = "storage"


class DependencyKind(StrEnum):
    """How strongly a dependant needs what it depends on.

    hard: the dependant cannot work without it; soft: it works, worse.
    """

    HARD = "hard"
    SOFT = "soft"


class ComponentHealth(StrEnum):
    """Health of a component, from its own alerts and what it depends on."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


class TouchpointState(StrEnum):
    """State of a customer touchpoint, in status-page vocabulary."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class IncidentState(StrEnum):
    """Life of an incident."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Indicator(StrEnum):
    """Overall status indicator, as status pages show it."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Severity(StrEnum):
    """Incident severity: derived from impact, overridable by a person."""

    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


class MatchOp(StrEnum):
    """Alertmanager's matcher operators."""

    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True)
class Matcher:
    """One label matcher with Alertmanager's semantics.

    A missing label is the empty string, and regular expressions are anchored,
    exactly as Alertmanager does, so that a matcher copied from a route behaves
    the same here.
    """

    name: str
    op: MatchOp
    value: str

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(f"^(?:{self.value})$")

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when the labels satisfy this matcher."""
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        found = self._regex.match(actual) is not None
        return found if self.op is MatchOp.RE else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op.value}"{self.value}"'


@dataclass(frozen=True)
class Dependency:
    """An edge of the service graph: the dependant needs ``target`` (a component or group)."""

    target: str
    kind: DependencyKind = DependencyKind.HARD


@dataclass(frozen=True)
class Component:
    """A piece of infrastructure that alerts can be about."""

    id: str
    name: str
    kind: ComponentKind
    team: str | None
    matchers: tuple[tuple[Matcher, ...], ...]
    """Alternatives: the component matches when every matcher of any one tuple matches."""
    depends_on: tuple[Dependency, ...] = ()
    region: str | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when an alert with these labels is about this component."""
        return any(all(m.matches(labels) for m in group) for group in self.matchers)


@dataclass(frozen=True)
class RedundancyGroup:
    """A set of interchangeable components of which ``min_up`` must be up."""

    id: str
    name: str
    members: tuple[str, ...]
    min_up: int


@dataclass(frozen=True)
class Team:
    """An owning team and where it is reached."""

    id: str
    name: str
    slack_channel: str
    oncall_channel: str | None = None


@dataclass(frozen=True)
class EstimatorSpec:
    """Which impact estimator applies to a touchpoint, with its queries.

    ``queries`` maps a role (``attempts``, ``failures``, ``customers``…) to a
    PromQL expression or a parameterised SQL statement, depending on ``method``.
    """

    method: str
    queries: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Touchpoint:
    """Something customers do and feel when it fails (pay by card, check in…)."""

    id: str
    name: str
    journey: str
    segments: tuple[str, ...]
    team: str
    slack_channel: str
    depends_on: tuple[Dependency, ...]
    estimators: tuple[EstimatorSpec, ...] = ()
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Phrases customers use about this touchpoint, per language code."""
    scheduled: bool = False
    """True for touchpoints driven by scheduled events (pay runs, departures)."""


@dataclass(frozen=True)
class Alert:
    """An alert normalised from any source (Alertmanager, Prometheus, generic events).

    ``fingerprint`` identifies the alert series (same labels), ``starts_at``
    one occurrence of it; together they are the deduplication key.
    """

    fingerprint: str
    source: str
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    generator_url: str | None = None

    @property
    def name(self) -> str:
        """The alert's name, as on-call engineers know it."""
        return self.labels.get("alertname", "(unnamed alert)")

    @property
    def severity(self) -> str:
        """The alert's severity label, lower-cased, empty when absent."""
        return self.labels.get("severity", "").lower()

    @property
    def summary(self) -> str:
        """A one-line description for people."""
        return (
            self.annotations.get("summary")
            or self.annotations.get("description")
            or self.annotations.get("message")
            or self.name
        )


@dataclass(frozen=True)
class MaintenanceWindow:
    """Declared maintenance: alerts on these components are recorded, not escalated."""

    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    components: tuple[str, ...] = ()
    touchpoints: tuple[str, ...] = ()

    def covers(self, at: datetime) -> bool:
        """True when ``at`` falls inside the window."""
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval at ``level`` confidence."""

    estimate: int
    low: int
    high: int
    level: float = 0.9


@dataclass(frozen=True)
class ImpactEstimate:
    """How badly one touchpoint hurt customers over a window, and how we know.

    A figure no method could estimate is None (unknown), never a zero; the
    ``quality`` notes then say why.
    """

    touchpoint: str
    start: datetime
    end: datetime
    affected_customers: Interval | None
    failed_interactions: Interval | None
    exposed_customers: Interval | None
    methods: tuple[str, ...]
    quality: tuple[str, ...] = ()
    normal_customers: Interval | None = None
    """Customers the touchpoint usually serves in such a window (same time of past weeks)."""
    segments: Mapping[str, Interval] = field(default_factory=dict)
    """Affected customers per customer segment, when the data can split them."""


class EventKind(StrEnum):
    """What happened to an incident; the timeline is a list of these."""

    OPENED = "opened"
    ALERT_FIRED = "alert_fired"
    ALERT_RESOLVED = "alert_resolved"
    ALERTS_QUIET = "alerts_quiet"
    REOPENED = "reopened"
    STATE_CHANGED = "state_changed"
    SEVERITY_CHANGED = "severity_changed"
    ACKNOWLEDGED = "acknowledged"
    TOUCHPOINTS_CHANGED = "touchpoints_changed"
    MERGED = "merged"
    FLAPPING = "flapping"
    ESTIMATE_UPDATED = "estimate_updated"
    MESSAGE_SENT = "message_sent"
    HUMAN_ACTION = "human_action"
    PUBLIC_UPDATE = "public_update"
    """An update published on the status page (customer-facing words)."""
    PLAYBOOK_STEP = "playbook_step"
    CUSTOMER_SIGNAL = "customer_signal"
    """Customers' complaints or scores: a spike, a confirmation, a low score to follow up."""
    REPORT_WRITTEN = "report_written"
    """A post-incident report was stored; ``data`` names it (``report_id``)."""


@dataclass(frozen=True)
class IncidentEvent:
    """One entry of an incident's append-only timeline."""

    id: int
    incident_id: int
    at: datetime
    kind: EventKind
    source: str
    summary: str
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Incident:
    """One infrastructure failure as people handle it, with the touchpoints it hurts."""

    id: int
    title: str
    state: IncidentState
    severity: Severity
    severity_overridden: bool
    declared: bool
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    quiet_since: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    touchpoints: Mapping[str, TouchpointState]
    """Current state of each affected touchpoint."""
    peak_touchpoints: Mapping[str, TouchpointState]
    """Worst state each touchpoint reached during the incident."""
    components: tuple[str, ...]
    root_cause_hint: str | None
    explanation: tuple[str, ...]
    merged_into: int | None
    flapping: bool
    firing_alerts: int
    total_alerts: int


class IntentAction(StrEnum):
    """What a planned notification does when it is delivered."""

    SLACK_POST = "slack_post"
    """A message in a channel: the incident's head message there, or a reply in its thread."""
    SLACK_HEAD_UPDATE = "slack_head_update"
    """``chat.update`` of the incident's head message with the current picture."""
    PAGE = "page"
    STATUS_PAGE = "status_page"
    CUSTOMER_MESSAGE = "customer_message"
    """A customer communication; sent only once a person approved it."""
    WEBHOOK = "webhook"
    EXPORT_CUSTOMER_IDS = "export_customer_ids"
    TIMER = "timer"
    """Repeat or escalation: when due, plans its steps again (if the condition still holds)."""
    REPORT = "report"
    """Write and store the post-incident report (once the final estimate is in)."""


@dataclass(frozen=True)
class NotificationIntent:
    """One thing a playbook wants done for an incident, at a given time.

    ``key`` is unique per incident and occurrence: planning the same step twice
    yields the same key, which is how re-evaluating a playbook never repeats it.
    """

    key: str
    incident_id: int
    playbook: str
    step: str
    action: IntentAction
    due_at: datetime
    channel: str | None = None
    payload: Mapping[str, object] = field(default_factory=dict)
    needs_approval: bool = False
    coalesce: bool = False
    """Replace the payload of a pending intent with the same key instead of keeping the first."""


class ScoreKind(StrEnum):
    """Which survey a score answers: NPS (0–10) or CSAT (1–5)."""

    NPS = "nps"
    CSAT = "csat"


@dataclass(frozen=True)
class Signal:
    """What one customer told the company (complaint, ticket, review, survey answer).

    ``customer_ref`` is only ever the keyed pseudonym of the customer's
    reference, never the reference itself; ``text`` is None once the
    retention period removed it.
    """

    id: int
    received_at: datetime
    occurred_at: datetime
    source: str
    channel: str
    text: str | None
    score: int | None
    score_kind: ScoreKind | None
    touchpoint: str | None
    attributed_by: str | None
    """``explicit`` when the sender named the touchpoint, else the attribution rule that matched."""
    customer_ref: str | None
    incident_id: int | None = None

    @property
    def is_low_score(self) -> bool:
        """A detractor (NPS 0–6) or a dissatisfied answer (CSAT 1–2)."""
        if self.score is None or self.score_kind is None:
            return False
        return self.score <= (6 if self.score_kind is ScoreKind.NPS else 2)

    @property
    def is_negative(self) -> bool:
        """True for what counts towards a spike: anything but a good score."""
        return self.score is None or self.is_low_score
