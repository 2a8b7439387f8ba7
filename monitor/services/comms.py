"""Planning communications inside the unit of work of the change that calls for them.

The pipeline (after refreshing an incident's picture), the quiet-period
resolver and people's actions call ``Comms.plan`` before they commit, so the
outbox rows of a change are durable exactly when the change is: a crash
either loses both or keeps both. Resolving an incident cancels whatever was
still waiting (timers, later steps, unapproved drafts) and plans the
playbooks' on-resolve steps; head messages are refreshed when what they show
changes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from monitor.catalog import Catalog
from monitor.domain import (
    EventKind,
    IncidentState,
    IntentAction,
    NotificationIntent,
)
from monitor.notify.blocks import digest, head_blocks
from monitor.playbooks import (
    IncidentView,
    Plan,
    PlaybookSet,
    plan_incident,
    plan_timer,
    template_context,
)
from monitor.playbooks.plan import LOW_SCORE, ON_RESOLVE
from monitor.services.signals import low_scores, signal_counts
from monitor.settings import Settings
from monitor.store import UnitOfWork
from monitor.store.repositories.outbox import OutboxItem

log = logging.getLogger(__name__)

CUSTOMER_REPORT_LABEL = ("signal", "customer_report")
"""An alert with this label is a customer report (contact centre, social media)."""


class Comms:
    """Turns incident changes into outbox rows; one instance per process."""

    def __init__(
        self,
        *,
        playbooks: PlaybookSet,
        catalog: Catalog,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.playbooks = playbooks
        self.catalog = catalog
        self._base_url = settings.public_base_url.rstrip("/")
        self._clock = clock

    def view(
        self,
        uow: UnitOfWork,
        incident_id: int,
        *,
        now: datetime | None = None,
        unmapped: Sequence[str] | None = None,
    ) -> IncidentView:
        """The incident with its latest estimate, customer reports and links, for templates.

        ``unmapped`` (names of unmapped firing alerts) can be passed by a caller that
        builds many views at once, so that an alert storm is not re-read per incident.
        """
        incident = uow.incidents.get(incident_id)
        latest = uow.incidents.latest_events([incident_id], kind=EventKind.ESTIMATE_UPDATED)
        reports = uow.alerts.count_labelled(
            incident_id, name=CUSTOMER_REPORT_LABEL[0], value=CUSTOMER_REPORT_LABEL[1]
        )
        reports += uow.signals.count_of_incident(incident_id)  # complaints, tickets, scores
        scores = low_scores(uow, incident_id)
        if unmapped is None:
            unmapped = uow.alerts.unmapped_names()
        return IncidentView(
            incident=incident,
            now=now or self._clock(),
            estimate=dict(latest[incident_id].data) if incident_id in latest else None,
            unmapped_alerts=tuple(unmapped),
            customer_reports=reports,
            signals=signal_counts(uow, incident_id, scores=scores),
            low_scores=tuple(scores),
            links={
                "incident": f"{self._base_url}/api/v1/incidents/{incident_id}",
                "status_api": f"{self._base_url}/api/v1/status",
                # rendered on request from the stored facts; the copy written at
                # resolution is at ``…/report?stored=true``
                "report": f"{self._base_url}/api/v1/incidents/{incident_id}/report?format=html",
            },
        )

    def plan(self, uow: UnitOfWork, incident_ids: Iterable[int]) -> None:
        """Plan what the playbooks want for these incidents, in the caller's unit of work."""
        due = sorted(set(incident_ids))
        if not self.playbooks.playbooks or not due:
            # nothing can be planned, or nothing is due: in a storm most batches only
            # add alerts to incidents whose planning is put off, and read nothing here
            return
        now = self._clock()
        unmapped = uow.alerts.unmapped_names()
        for incident_id in due:
            incident = uow.incidents.get(incident_id)
            if incident.merged_into is not None:
                uow.outbox.cancel_open(incident_id)
                continue
            if incident.state is IncidentState.RESOLVED:
                uow.outbox.cancel_open(
                    incident_id,
                    keep=(IntentAction.SLACK_HEAD_UPDATE,),
                    keep_step_prefix=(ON_RESOLVE, LOW_SCORE),  # both run after resolution
                )
            view = self.view(uow, incident_id, now=now, unmapped=unmapped)
            result = plan_incident(
                self.playbooks, view, self.catalog, planned=uow.outbox.keys(incident_id)
            )
            self._store(uow, result, now=now)
            self.refresh_heads(uow, view)

    def dry_run(
        self, uow: UnitOfWork, incident_id: int
    ) -> list[tuple[NotificationIntent, OutboxItem | None]]:
        """What the playbooks would plan for the incident now, with what is already stored.

        Nothing is written; the caller leaves the unit of work without committing.
        """
        view = self.view(uow, incident_id)
        result = plan_incident(self.playbooks, view, self.catalog, planned=())
        stored = {i.key: i for i in uow.outbox.of_incident(incident_id)}
        return [(i, stored.get(i.key)) for i in result.intents]

    def acknowledged(self, uow: UnitOfWork, incident_id: int) -> None:
        """Someone took the incident: escalation timers are no longer needed."""
        timers = [
            i.id
            for i in uow.outbox.open_of(incident_id)
            if i.action is IntentAction.TIMER and i.payload.get("kind") == "escalate"
        ]
        uow.outbox.cancel(timers)
        self.plan(uow, [incident_id])

    def fire_timer(self, uow: UnitOfWork, timer: OutboxItem) -> Plan:
        """A due repeat or escalation: plan its steps now, if its condition still holds."""
        now = self._clock()
        view = self.view(uow, timer.incident_id, now=now)
        result = plan_timer(
            self.playbooks,
            view,
            self.catalog,
            timer=_intent_of(timer),
            planned=uow.outbox.keys(timer.incident_id),
        )
        self._store(uow, result, now=now)
        return result

    def escalate_now(self, uow: UnitOfWork, incident_id: int, *, by: str) -> int:
        """Run every escalation step of the incident's playbooks now; returns timers fired."""
        fired = 0
        for item in uow.outbox.open_of(incident_id):
            if item.action is IntentAction.TIMER and item.payload.get("kind") == "escalate":
                result = self.fire_timer(uow, item)
                uow.outbox.cancel([item.id])
                fired += 1
                uow.incidents.add_event(
                    incident_id,
                    at=self._clock(),
                    kind=EventKind.PLAYBOOK_STEP,
                    source=f"user:{by}",
                    summary=f"{by} escalated: {len(result.intents)} notifications planned",
                    data={"playbook": item.playbook, "step": item.step},
                )
        return fired

    def refresh_heads(self, uow: UnitOfWork, view: IncidentView) -> None:
        """Plan one edit of each head message whose picture changed (one pending per channel)."""
        incident_id = view.incident.id
        threads = uow.outbox.threads(incident_id)
        if not threads:
            return
        context = template_context(view, self.catalog)
        for thread in threads:
            if digest(head_blocks(context, intro=thread.intro)) == thread.digest:
                continue
            if uow.outbox.open_head_update(incident_id, thread.channel) is not None:
                continue  # the pending edit renders the picture when it is sent
            uow.outbox.add(
                NotificationIntent(
                    key=f"{incident_id}:head:{thread.channel}:{uuid.uuid4().hex[:12]}",
                    incident_id=incident_id,
                    playbook="-",
                    step="head",
                    action=IntentAction.SLACK_HEAD_UPDATE,
                    due_at=view.now,
                    channel=thread.channel,
                ),
                now=view.now,
            )

    def _store(self, uow: UnitOfWork, result: Plan, *, now: datetime) -> None:
        for intent in result.intents:
            uow.outbox.add(intent, now=now)
        incident_ids = {i.incident_id for i in result.intents}
        for playbook in result.triggered:
            for incident_id in incident_ids:
                uow.incidents.add_event(
                    incident_id,
                    at=now,
                    kind=EventKind.PLAYBOOK_STEP,
                    source=f"playbook:{playbook}",
                    summary=f"Playbook {playbook} started",
                    data={
                        "playbook": playbook,
                        "planned": sum(1 for i in result.intents if i.playbook == playbook),
                    },
                )
        for problem in result.problems:
            log.error("playbook step not planned: %s", problem)


def _intent_of(item: OutboxItem) -> NotificationIntent:
    return NotificationIntent(
        key=item.key,
        incident_id=item.incident_id,
        playbook=item.playbook,
        step=item.step,
        action=item.action,
        due_at=item.due_at,
        channel=item.channel,
        payload=item.payload,
    )
