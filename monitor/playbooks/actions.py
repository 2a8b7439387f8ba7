"""Each step kind → the notification intents it plans (templates rendered now).

Wait, repeat and escalate are handled by the planner itself; the functions
here are the steps that deliver something.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from monitor.domain import IntentAction, NotificationIntent
from monitor.playbooks.run import Run
from monitor.playbooks.schema import StepSpec

ActionPlanner = Callable[..., list[NotificationIntent]]


def slack_channels(run: Run, channel: str | None, fallback: str | None = None) -> list[str]:
    """Where a Slack step posts: its channel, else each matched touchpoint's, else the owners'."""
    if channel is not None:
        return [channel]
    found = [
        run.catalog.touchpoints[t].slack_channel
        for t in run.touchpoints
        if t in run.catalog.touchpoints
    ]
    if not found:
        found = [team.slack_channel for team in (run.catalog.teams[t] for t in owner_teams(run))]
    if not found and fallback is not None:
        found = [fallback]
    return list(dict.fromkeys(found))


def owner_teams(run: Run) -> list[str]:
    """Teams owning the matched touchpoints, or (for an incident without any) its components."""
    teams = [
        run.catalog.touchpoints[t].team for t in run.touchpoints if t in run.catalog.touchpoints
    ]
    if not teams:
        components = run.view.incident.components
        teams = [
            team
            for c in components
            if c in run.catalog.components and (team := run.catalog.components[c].team)
        ]
    return list(dict.fromkeys(t for t in teams if t in run.catalog.teams))


def _intent(
    run: Run,
    *,
    key: str,
    path: str,
    action: IntentAction,
    due: datetime,
    channel: str | None = None,
    payload: dict[str, object] | None = None,
    needs_approval: bool = False,
    coalesce: bool = False,
) -> NotificationIntent:
    return NotificationIntent(
        key=key,
        incident_id=run.incident_id,
        playbook=run.playbook.id,
        step=path,
        action=action,
        due_at=due,
        channel=channel,
        payload=payload or {},
        needs_approval=needs_approval,
        coalesce=coalesce,
    )


def slack(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Post in each channel (the first post there is the incident's head message)."""
    spec = step.slack
    assert spec is not None
    if spec.update_head:
        return [
            _intent(
                run,
                key=run.key(path, occ, channel),
                path=path,
                action=IntentAction.SLACK_HEAD_UPDATE,
                due=due,
                channel=channel,
                coalesce=True,
            )
            for channel in slack_channels(run, spec.channel, spec.fallback_channel)
        ]
    text = run.render(spec.text)
    return [
        _intent(
            run,
            key=run.key(path, occ, channel),
            path=path,
            action=IntentAction.SLACK_POST,
            due=due,
            channel=channel,
            payload={"text": text},
        )
        for channel in slack_channels(run, spec.channel, spec.fallback_channel)
    ]


def page(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Call the on-call channel of the owning (or named) team."""
    spec = step.page
    assert spec is not None
    teams = owner_teams(run) if spec.team == "owner" else [spec.team]
    text = run.render(spec.text)
    intents = []
    for team_id in teams:
        team = run.catalog.teams[team_id]
        channel = team.oncall_channel or team.slack_channel
        intents.append(
            _intent(
                run,
                key=run.key(path, occ, team_id),
                path=path,
                action=IntentAction.PAGE,
                due=due,
                channel=channel,
                payload={"text": f"<!here> {text}", "team": team_id},
            )
        )
    return intents


def status_page(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Set each touchpoint's status-page state and publish the update text."""
    spec = step.status_page
    assert spec is not None
    targets = list(run.touchpoints) if spec.touchpoint == "affected" else [spec.touchpoint]
    intents = []
    for touchpoint in targets:
        current = run.view.incident.touchpoints.get(touchpoint)
        state = spec.state if spec.state != "current" else (current.value if current else None)
        tp = next((t for t in run.context["touchpoints"] if t["id"] == touchpoint), None)
        intents.append(
            _intent(
                run,
                key=run.key(path, occ, touchpoint),
                path=path,
                action=IntentAction.STATUS_PAGE,
                due=due,
                payload={
                    "touchpoint": touchpoint,
                    "state": state or "operational",
                    # an explicit state is what the page shows until the incident
                    # ends; "current" only describes the monitored state
                    "pinned": spec.state != "current",
                    "text": run.render(spec.text, touchpoint=tp),
                },
            )
        )
    return intents


def customer_message(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Draft one message per touchpoint and segment, in French and English, held for approval.

    Each draft is also shown in the touchpoint's channel with an Approve button
    that names the draft by its key.
    """
    spec = step.customer_message
    assert spec is not None
    touchpoints = spec.touchpoints or list(run.touchpoints)
    intents = []
    for touchpoint in touchpoints:
        tp = next((t for t in run.context["touchpoints"] if t["id"] == touchpoint), None)
        if tp is None:
            continue  # not affected by this incident
        segments = [s for s in (spec.segments or tp["segments"]) if s in tp["segments"]]
        for segment in segments:
            key = run.key(path, occ, touchpoint, segment)
            texts = {
                lang: run.render(source, touchpoint=tp, segment=segment, lang=lang)
                for lang, source in (("en", spec.en), ("fr", spec.fr))
            }
            payload: dict[str, object] = {
                "touchpoint": touchpoint,
                "segment": segment,
                "publish_to": spec.publish_to,
                **texts,
            }
            intents.append(
                _intent(
                    run,
                    key=key,
                    path=path,
                    action=IntentAction.CUSTOMER_MESSAGE,
                    due=due,
                    payload=payload,
                    needs_approval=True,
                )
            )
            channel = run.catalog.touchpoints[touchpoint].slack_channel
            intents.append(
                _intent(
                    run,
                    key=f"{key}:draft",
                    path=path,
                    action=IntentAction.SLACK_POST,
                    due=due,
                    channel=channel,
                    payload={
                        "text": f"Customer message draft for {tp['name']} / {segment}, "
                        f"waiting for approval:\n*en*: {texts['en']}\n*fr*: {texts['fr']}",
                        "approve_key": key,
                    },
                )
            )
    return intents


def webhook(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Call a named webhook target with a rendered JSON body."""
    spec = step.webhook
    assert spec is not None
    body = run.book.templates.render_json(spec.body, run.context)
    return [
        _intent(
            run,
            key=run.key(path, occ),
            path=path,
            action=IntentAction.WEBHOOK,
            due=due,
            payload={"target": spec.target, "body": body},
        )
    ]


def export_customer_ids(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Export affected customer ids for remediation over the incident's window so far."""
    spec = step.export_customer_ids
    assert spec is not None
    incident = run.view.incident
    end = incident.resolved_at or run.view.now
    return [
        _intent(
            run,
            key=run.key(path, occ),
            path=path,
            action=IntentAction.EXPORT_CUSTOMER_IDS,
            due=due,
            payload={
                "touchpoints": spec.touchpoints or list(run.touchpoints),
                "start": incident.opened_at.isoformat(),
                "end": end.isoformat(),
            },
        )
    ]


def report(
    run: Run, step: StepSpec, *, path: str, occ: str, due: datetime
) -> list[NotificationIntent]:
    """Write the post-incident report, waiting a while for the final estimate."""
    spec = step.report
    assert spec is not None
    return [
        _intent(
            run,
            key=run.key(path, occ),
            path=path,
            action=IntentAction.REPORT,
            due=due,
            payload={"wait_for_final_minutes": spec.wait_for_final_minutes},
        )
    ]


ACTIONS: dict[str, ActionPlanner] = {
    "slack": slack,
    "page": page,
    "status_page": status_page,
    "customer_message": customer_message,
    "webhook": webhook,
    "export_customer_ids": export_customer_ids,
    "report": report,
}
