"""The playbook file's schema, as strict pydantic models.

A playbook is a trigger (every condition given must hold) and a list of
steps; each step is a mapping with exactly one action key (``slack``,
``page``…) and an optional ``id``. ``extra="forbid"`` everywhere, so a typo
or an unknown step is refused with its line instead of being ignored.
Template fields hold Jinja2 text, or the name of a file under the templates
directory when the value ends in ``.j2``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from monitor.domain import IncidentState, Severity, TouchpointState

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")]
Channel = Annotated[str, StringConstraints(pattern=r"^#[a-z0-9._-]{1,80}$")]
Template = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class Strict(BaseModel):
    """Base: unknown keys are errors and models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSpec(Strict):
    """When the trigger may fire: a pay day, office hours (all given fields must hold)."""

    days_of_month: list[Annotated[int, Field(ge=-31, le=31)]] = Field(default_factory=list)
    """1..31, or negative from the end of the month (-1 is the last day)."""
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=list
    )
    hours: Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")] | None = None
    timezone: str = "UTC"


class LowScoreSpec(Strict):
    """A low survey score from a customer of the incident (the watcher's follow-up)."""

    nps_at_most: int = Field(default=6, ge=0, le=6)
    """NPS answers 0 to this; detractors (0-6) are what the watcher follows up."""
    csat_at_most: int = Field(default=2, ge=1, le=2)


class TriggerSpec(Strict):
    """The conditions under which a playbook starts for an incident."""

    touchpoints: list[Identifier] = Field(default_factory=list)
    """Any of these is affected; empty means any touchpoint."""
    states: list[TouchpointState] = Field(default_factory=list)
    """One of the listed touchpoints is in one of these states."""
    severity: Severity | None = None
    """The incident is at least this severe."""
    affected_customers_above: int | None = Field(default=None, ge=0)
    duration_minutes_above: int | None = Field(default=None, ge=0)
    segments: list[Identifier] = Field(default_factory=list)
    """A matching touchpoint serves one of these customer segments."""
    time: TimeSpec | None = None
    customer_reported: bool | None = None
    """True: only when customers reported the impact (alerts with ``signal=customer_report``)."""
    declared: bool | None = None
    low_score: LowScoreSpec | None = None
    """Run the steps once per low score from a customer of the incident (``low_score`` in
    the templates), checked against the incident at its peak: scores come after it ends."""


class SlackStep(Strict):
    channel: Channel | None = None
    """None: the channel of each matched touchpoint, else of the owning teams."""
    fallback_channel: Channel | None = None
    """Where to post when neither a touchpoint nor a component names an owner."""
    text: Template
    update_head: bool = False


class PageStep(Strict):
    team: Identifier | Literal["owner"] = "owner"
    text: Template


class StatusPageStep(Strict):
    touchpoint: Identifier | Literal["affected"] = "affected"
    state: TouchpointState | Literal["current"] = "current"
    text: Template


class CustomerMessageStep(Strict):
    touchpoints: list[Identifier] = Field(default_factory=list)
    """Empty: every affected touchpoint."""
    segments: list[Identifier] = Field(default_factory=list)
    """Empty: every segment the touchpoint serves."""
    en: Template
    fr: Template
    publish_to: Identifier | None = None
    """A webhook target that receives the approved message; None: the notification sink."""


class WebhookStep(Strict):
    target: Identifier
    body: dict[str, Any]
    """JSON body; every string in it is a template."""


class ExportStep(Strict):
    touchpoints: list[Identifier] = Field(default_factory=list)


class ReportStep(Strict):
    wait_for_final_minutes: int = Field(default=15, ge=0, le=24 * 60)
    """How long after resolution to wait for the final estimate before writing without it."""


class WaitStep(Strict):
    minutes: int = Field(ge=1, le=7 * 24 * 60)


class RepeatStep(Strict):
    every_minutes: int = Field(ge=1, le=24 * 60)
    until: IncidentState = IncidentState.RESOLVED
    max_times: int = Field(default=48, ge=1, le=1000)
    steps: list[StepSpec] = Field(min_length=1)


class EscalateStep(Strict):
    after_minutes: int = Field(ge=1, le=24 * 60)
    steps: list[StepSpec] = Field(min_length=1)


STEP_KINDS = (
    "slack",
    "page",
    "status_page",
    "customer_message",
    "webhook",
    "export_customer_ids",
    "report",
    "wait",
    "repeat",
    "escalate",
)


class StepSpec(Strict):
    """One step: exactly one of the action keys."""

    id: Identifier | None = None
    slack: SlackStep | None = None
    page: PageStep | None = None
    status_page: StatusPageStep | None = None
    customer_message: CustomerMessageStep | None = None
    webhook: WebhookStep | None = None
    export_customer_ids: ExportStep | None = None
    report: ReportStep | None = None
    wait: WaitStep | None = None
    repeat: RepeatStep | None = None
    escalate: EscalateStep | None = None

    @model_validator(mode="after")
    def _one_action(self) -> StepSpec:
        given = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a step needs exactly one of {', '.join(STEP_KINDS)}; got "
                + (", ".join(given) or "none")
            )
        return self

    @property
    def kind(self) -> str:
        """Which action this step is."""
        return next(k for k in STEP_KINDS if getattr(self, k) is not None)

    @property
    def action(self) -> Any:
        """The action's own settings."""
        return getattr(self, self.kind)


class PlaybookSpec(Strict):
    """One playbook file."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    priority: int = 100
    """Lower runs first when several playbooks match."""
    fallback: bool = False
    """Runs only when no other playbook matched the incident (the generic playbook)."""
    trigger: TriggerSpec
    steps: list[StepSpec] = Field(min_length=1)
    on_resolve: list[StepSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _report_at_resolution(self) -> PlaybookSpec:
        if any(s.report is not None for s in _nested(self.steps)):
            raise ValueError(
                "a report step belongs in on_resolve: the report needs the whole incident"
            )
        return self

    @model_validator(mode="after")
    def _per_score(self) -> PlaybookSpec:
        if self.trigger.low_score is None:
            return self
        if self.fallback or self.on_resolve:
            raise ValueError("a low_score playbook runs once per score: no fallback, no on_resolve")
        if any(s.repeat is not None or s.escalate is not None for s in self.steps):
            raise ValueError("a low_score playbook runs once per score: no repeat or escalate")
        return self


def _nested(steps: list[StepSpec]) -> list[StepSpec]:
    found = []
    for step in steps:
        found.append(step)
        inner = step.repeat or step.escalate
        if inner is not None:
            found += _nested(inner.steps)
    return found


RepeatStep.model_rebuild()
EscalateStep.model_rebuild()
