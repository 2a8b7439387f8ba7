"""Turning playbooks into notification intents for one incident: a pure function.

Every intent has a key built from the incident, the playbook, the step's
position and the occurrence (``r3`` for the third repetition, ``s42`` for the
low score of signal 42), so planning again after a restart or on every batch
yields the same keys, and the outbox (which refuses known keys) delivers each
step once.

A playbook whose trigger has ``low_score`` is not part of the incident's
communication plan (it neither starts with the incident nor keeps the
fallback playbook away): its steps run once per low score the signal watcher
followed up for the incident, under the path ``low_score``, with the score in
the templates, also after the incident is resolved (scores come hours later).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.catalog import Catalog
from monitor.domain import IncidentState, IntentAction, NotificationIntent
from monitor.errors import TemplateRenderError
from monitor.playbooks.actions import ACTIONS
from monitor.playbooks.context import IncidentView, low_score_context
from monitor.playbooks.loader import PlaybookSet
from monitor.playbooks.run import Run
from monitor.playbooks.schema import LowScoreSpec, PlaybookSpec, StepSpec
from monitor.playbooks.triggers import matching_touchpoints

ON_RESOLVE = "on_resolve"
LOW_SCORE = "low_score"


@dataclass
class Plan:
    """What planning produced: intents to store, and problems to put on the timeline."""

    intents: list[NotificationIntent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    triggered: list[str] = field(default_factory=list)
    """Playbooks that started for the incident in this plan."""


def plan_incident(
    book: PlaybookSet, view: IncidentView, catalog: Catalog, *, planned: Collection[str]
) -> Plan:
    """The intents every matching playbook wants for the incident, minus those already planned."""
    plan = Plan()
    incident = view.incident
    started = {p.id for p in book.playbooks if _started(incident.id, p.id, planned)}
    matched_specific = False
    for playbook in book.ordered():
        if playbook.trigger.low_score is not None:
            continue  # runs per score, below
        if incident.state is IncidentState.RESOLVED:
            if playbook.id in started and playbook.on_resolve:
                run = _run(book, playbook, view, catalog, tuple(sorted(incident.peak_touchpoints)))
                _steps(run, plan, playbook.on_resolve, path=ON_RESOLVE, occ="0", start=view.now)
            continue
        holds = matching_touchpoints(playbook.trigger, view, catalog)
        if playbook.fallback and (matched_specific or started - {playbook.id}):
            continue
        if holds is None:
            continue
        matched_specific = matched_specific or not playbook.fallback
        if playbook.id not in started:
            plan.triggered.append(playbook.id)
        run = _run(book, playbook, view, catalog, tuple(holds))
        _steps(run, plan, playbook.steps, path="steps", occ="0", start=view.now)
    if view.low_scores:
        _low_scores(book, view, catalog, plan)
    plan.intents = [i for i in plan.intents if i.key not in planned]
    return plan


def _low_scores(book: PlaybookSet, view: IncidentView, catalog: Catalog, plan: Plan) -> None:
    """Each low-score playbook's steps, once per followed-up score it accepts."""
    incident = view.incident
    # the trigger sees the incident at its peak: by the time customers answer a
    # survey, the incident is often resolved and its touchpoints operational again
    peak = replace(incident, touchpoints={**incident.touchpoints, **incident.peak_touchpoints})
    at_peak = replace(view, incident=peak)
    for playbook in book.ordered():
        spec = playbook.trigger.low_score
        if spec is None:
            continue
        holds = matching_touchpoints(playbook.trigger, at_peak, catalog)
        if holds is None:
            continue
        for score in view.low_scores:
            if not _accepts(spec, score):
                continue
            run = _run(book, playbook, at_peak, catalog, tuple(holds))
            run.context["low_score"] = low_score_context(score, catalog)
            occ = f"s{score.get('signal_id')}"
            _steps(run, plan, playbook.steps, path=LOW_SCORE, occ=occ, start=view.now)


def _accepts(spec: LowScoreSpec, score: Mapping[str, Any]) -> bool:
    value, kind = score.get("score"), score.get("score_kind")
    if not isinstance(value, int):
        return False
    if kind == "nps":
        return value <= spec.nps_at_most
    return kind == "csat" and value <= spec.csat_at_most


def plan_timer(
    book: PlaybookSet,
    view: IncidentView,
    catalog: Catalog,
    *,
    timer: NotificationIntent,
    planned: Collection[str],
) -> Plan:
    """What a due repeat or escalation timer plans now (nothing once its condition is over)."""
    plan = Plan()
    payload = timer.payload
    playbook = book.by_id(timer.playbook)
    step = _step_at(playbook, str(payload["path"])) if playbook else None
    incident = view.incident
    if playbook is None or step is None or incident.state is IncidentState.RESOLVED:
        return plan
    run = _run(book, playbook, view, catalog, tuple(sorted(incident.touchpoints)))
    occ = str(payload["occ"])
    path = str(payload["path"])
    if step.repeat is not None:
        if incident.state is step.repeat.until:
            return plan
        n = int(str(payload["n"]))
        _steps(run, plan, step.repeat.steps, path=path, occ=f"{occ}r{n}", start=view.now)
        if n < step.repeat.max_times:
            plan.intents.append(
                _timer(
                    run, path, occ, n + 1, view.now + timedelta(minutes=step.repeat.every_minutes)
                )
            )
    elif step.escalate is not None and incident.acknowledged_by is None:
        _steps(run, plan, step.escalate.steps, path=path, occ=f"{occ}e", start=view.now)
    plan.intents = [i for i in plan.intents if i.key not in planned]
    return plan


def _run(
    book: PlaybookSet,
    playbook: PlaybookSpec,
    view: IncidentView,
    catalog: Catalog,
    touchpoints: tuple[str, ...],
) -> Run:
    return Run.start(
        book=book, playbook=playbook, view=view, catalog=catalog, touchpoints=touchpoints
    )


def _started(incident_id: int, playbook_id: str, planned: Collection[str]) -> bool:
    prefix = f"{incident_id}:{playbook_id}:steps."
    return any(k.startswith(prefix) for k in planned)


def _steps(
    run: Run, plan: Plan, steps: Sequence[StepSpec], *, path: str, occ: str, start: datetime
) -> None:
    due = start
    for index, step in enumerate(steps):
        step_path = f"{path}.{index}"
        try:
            if step.wait is not None:
                due += timedelta(minutes=step.wait.minutes)
            elif step.repeat is not None:
                first = due + timedelta(minutes=step.repeat.every_minutes)
                plan.intents.append(_timer(run, step_path, occ, 1, first))
            elif step.escalate is not None:
                at = due + timedelta(minutes=step.escalate.after_minutes)
                plan.intents.append(_timer(run, step_path, occ, 1, at, kind="escalate"))
            else:
                plan.intents.extend(_action(run, step, path=step_path, occ=occ, due=due))
        except TemplateRenderError as exc:
            plan.problems.append(f"{run.playbook.id} {step_path}: {exc}")


def _timer(
    run: Run, path: str, occ: str, n: int, due: datetime, *, kind: str = "repeat"
) -> NotificationIntent:
    return NotificationIntent(
        key=run.key(path, occ, f"t{n}"),
        incident_id=run.view.incident.id,
        playbook=run.playbook.id,
        step=path,
        action=IntentAction.TIMER,
        due_at=due,
        payload={"kind": kind, "path": path, "occ": occ, "n": n},
    )


def _action(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    return ACTIONS[step.kind](run, step, path=path, occ=occ, due=due)


def _step_at(playbook: PlaybookSpec, path: str) -> StepSpec | None:
    parts = path.split(".")
    steps: Sequence[StepSpec] = playbook.on_resolve if parts[0] == ON_RESOLVE else playbook.steps
    step: StepSpec | None = None
    for part in parts[1:]:
        if not part.isdigit() or int(part) >= len(steps):
            return None
        step = steps[int(part)]
        inner = step.repeat or step.escalate
        steps = inner.steps if inner is not None else ()
    return step
