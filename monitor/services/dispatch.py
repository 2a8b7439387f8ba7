"""The dispatcher: delivers due outbox rows, once, and records each on the incident timeline.

Claiming and recording are separate transactions around the network call,
so no database lock is held while Slack or a webhook answers:

1. claim due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): status
   ``sending`` until a lease expires, attempts + 1; commit;
2. deliver each through retry(dedup(send)): a later attempt first asks the
   channel whether an interrupted one got through (Slack: metadata key;
   webhooks: the receiver sees the same ``Idempotency-Key``);
3. record the result, the Slack ``ts`` and a timeline event; commit.

A crash after 1 leaves the row claimed; when the lease runs out it is
claimed again and step 2 finds the earlier delivery instead of repeating it.
Timers are planned and finished in one transaction, so they never fire twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.catalog import Catalog
from monitor.domain import EventKind, IntentAction
from monitor.notify.base import Delivery, Message, MessageKind
from monitor.notify.blocks import digest, draft_blocks, head_blocks, head_text
from monitor.notify.stages import Deliverer
from monitor.playbooks import template_context
from monitor.services.comms import Comms
from monitor.services.holdback import SLACK_ACTIONS, Holdback
from monitor.services.local_steps import export_step, publish_step
from monitor.services.report_step import ReportWriter, run_report_step
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.outbox import OutboxItem, OutboxStatus, SlackThread

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a claimed row is left to its dispatcher before another attempt may take it."""
WAIT_FOR_HEAD = timedelta(seconds=5)
REVIEW_EVERY = timedelta(seconds=30)
"""How often active incidents are planned again: durations grow and estimates arrive."""


@dataclass(frozen=True)
class Prepared:
    """A row turned into a message, or into a decision not to send it now."""

    message: Message | None = None
    defer_until: datetime | None = None
    skip: str | None = None
    head: SlackThread | None = None
    """For a head post: the thread to remember once Slack answers (ts filled in then)."""
    digest: str = ""


class Dispatcher:
    """Delivers what the outbox says is due; one instance per process, run by the worker."""

    def __init__(
        self,
        *,
        store: Store,
        comms: Comms,
        catalog: Catalog,
        slack: Deliverer,
        calls: Deliverer,
        clock: Callable[[], datetime],
        edit_interval: timedelta,
        export_dir: Path,
        operational_db_url: str | None = None,
        batch_size: int = 50,
    ) -> None:
        self._store = store
        self._comms = comms
        self._catalog = catalog
        self._slack = slack
        self._calls = calls
        self._clock = clock
        self._edit_interval = edit_interval
        self._export_dir = export_dir
        self._opdb_url = operational_db_url
        self._batch_size = batch_size
        self._reviewed_at: datetime | None = None
        self.report_writer: ReportWriter | None = None
        """Set by whoever can render reports (the API); without it, report steps are skipped."""

    def review(self, *, now: datetime) -> None:
        """Plan active incidents again now and then, for triggers that time or estimates meet."""
        if self._reviewed_at is not None and now < self._reviewed_at + REVIEW_EVERY:
            return
        self._reviewed_at = now
        with self._store.unit_of_work() as uow:
            active = [i.id for i in uow.incidents.active()]
            if active:
                self._comms.plan(uow, active)
                uow.commit()

    def recover(self) -> int:
        """Take back, now, the rows a previous leader claimed and never settled.

        Only the leader dispatches, so when this process becomes the leader a
        claimed row belongs to a process that is gone; waiting for its lease
        would hold messages and timers back for minutes after a crash. The
        delivery stage still checks whether an interrupted attempt got through.
        """
        with self._store.unit_of_work() as uow:
            released = uow.outbox.release_claims(now=self._clock())
            uow.commit()
        if released:
            log.info("took back %d notifications claimed by a previous leader", released)
        return released

    def run_once(self, *, rounds: int = 5) -> int:
        """Deliver every due row (and what due timers plan); returns how many rows were handled."""
        handled = 0
        holdback = Holdback()
        for _ in range(rounds):
            claimed = self.claim_due()
            for item in claimed:
                held = holdback.held_until(item.action)
                if held is not None:
                    self._hold(item, until=held)
                    continue
                try:
                    delivery = self.handle(item)
                except Exception:  # one bad row must not stop the others
                    log.exception("notification %s failed", item.id)
                    continue
                if delivery is not None and delivery.retry_at is not None:
                    holdback.failed(item.action, retry_at=delivery.retry_at)
            handled += len(claimed)
            if not claimed:
                break
        return handled

    def _hold(self, item: OutboxItem, *, until: datetime) -> None:
        with self._store.unit_of_work() as uow:
            uow.outbox.hold(item.id, due_at=until)
            uow.commit()

    def claim_due(self) -> list[OutboxItem]:
        """Claim the due rows for this process (step 1)."""
        now = self._clock()
        with self._store.unit_of_work() as uow:
            due = uow.outbox.due(now=now, limit=self._batch_size)
            for item in due:
                uow.outbox.claim(item.id, until=now + LEASE)
            uow.commit()
        return [_claimed(i) for i in due]

    def handle(self, item: OutboxItem) -> Delivery | None:
        """Deliver one claimed row and record what happened (steps 2 and 3).

        Returns the outside channel's answer, or None when none was asked.
        """
        if item.action is IntentAction.TIMER:
            self._fire_timer(item)
            return None
        if item.action is IntentAction.EXPORT_CUSTOMER_IDS:
            export_step(
                self._store,
                item,
                catalog=self._catalog,
                directory=self._export_dir,
                database_url=self._opdb_url,
                clock=self._clock,
                event=self._event,
            )
            return None
        if item.action is IntentAction.STATUS_PAGE:
            publish_step(self._store, item, now=self._clock(), event=self._event)
            return None
        if item.action is IntentAction.REPORT:
            run_report_step(
                self._store, item, writer=self.report_writer, now=self._clock(), event=self._event
            )
            return None
        with self._store.unit_of_work() as uow:
            prepared = self._prepare(uow, item)
            if prepared.message is None:
                self._settle(uow, item, prepared)
                uow.commit()
                return None
        stage = self._slack if item.action in SLACK_ACTIONS else self._calls
        delivery = stage.deliver(prepared.message, attempt=item.attempts)
        with self._store.unit_of_work() as uow:
            self.record(uow, item, delivery, prepared=prepared)
            uow.commit()
        return delivery

    def _prepare(self, uow: UnitOfWork, item: OutboxItem) -> Prepared:
        payload = item.payload
        merged_into = uow.incidents.get(item.incident_id).merged_into
        if merged_into is not None:
            return Prepared(skip=f"incident merged into {merged_into}")
        if item.action in (IntentAction.SLACK_POST, IntentAction.PAGE):
            return self._prepare_post(uow, item)
        if item.action is IntentAction.SLACK_HEAD_UPDATE:
            return self._prepare_head_update(uow, item)
        if item.action is IntentAction.WEBHOOK:
            body = {"incident_id": item.incident_id, **dict(payload.get("body") or {})}
            target = str(payload["target"])
        elif item.action is IntentAction.STATUS_PAGE:
            body = {"incident_id": item.incident_id, **dict(payload)}
            target = "status-page"
        else:
            body = {"incident_id": item.incident_id, "approved_by": item.approved_by, **payload}
            target = str(payload.get("publish_to") or "customer-comms")
        return Prepared(Message(key=item.key, kind=MessageKind.CALL, target=target, body=body))

    def _prepare_post(self, uow: UnitOfWork, item: OutboxItem) -> Prepared:
        assert item.channel is not None
        text = str(item.payload.get("text", ""))
        thread = uow.outbox.thread(item.incident_id, item.channel)
        approve = item.payload.get("approve_key")
        blocks = (
            draft_blocks(text, approve_key=str(approve), incident_id=item.incident_id)
            if approve
            else []
        )
        if thread is not None:
            message = Message(
                key=item.key,
                kind=MessageKind.POST,
                channel=item.channel,
                text=text,
                blocks=tuple(blocks),
                thread_ts=thread.ts,
            )
            return Prepared(message)
        earlier = uow.outbox.earlier_open_post(item)
        if earlier is not None:
            return Prepared(defer_until=max(earlier.due_at, self._clock()) + WAIT_FOR_HEAD)
        context = template_context(self._comms.view(uow, item.incident_id), self._catalog)
        head = head_blocks(context, intro=text)
        if approve:
            head.extend(blocks[1:])
        message = Message(
            key=item.key, kind=MessageKind.POST, channel=item.channel, text=text, blocks=tuple(head)
        )
        thread = SlackThread(item.incident_id, item.channel, "", "", text, digest(head), None)
        return Prepared(message, head=thread)

    def _prepare_head_update(self, uow: UnitOfWork, item: OutboxItem) -> Prepared:
        assert item.channel is not None
        now = self._clock()
        thread = uow.outbox.thread(item.incident_id, item.channel)
        if thread is None:
            if uow.outbox.earlier_open_post(item) is not None:
                return Prepared(defer_until=now + WAIT_FOR_HEAD)
            return Prepared(skip="no head message in this channel")
        if thread.last_edit_at is not None and now < thread.last_edit_at + self._edit_interval:
            return Prepared(defer_until=thread.last_edit_at + self._edit_interval)
        context = template_context(self._comms.view(uow, item.incident_id), self._catalog)
        blocks = head_blocks(context, intro=thread.intro)
        shown = digest(blocks)
        if shown == thread.digest:
            return Prepared(skip="head message already current")
        message = Message(
            key=item.key,
            kind=MessageKind.UPDATE,
            channel=thread.channel_id,
            ts=thread.ts,
            text=head_text(context),
            blocks=tuple(blocks),
        )
        return Prepared(message, digest=shown)

    def _settle(self, uow: UnitOfWork, item: OutboxItem, prepared: Prepared) -> None:
        if prepared.defer_until is not None:
            uow.outbox.reschedule(item.id, due_at=prepared.defer_until)
        else:
            uow.outbox.finish(
                item.id, status=OutboxStatus.SKIPPED, at=self._clock(), error=prepared.skip
            )

    def record(
        self, uow: UnitOfWork, item: OutboxItem, delivery: Delivery, *, prepared: Prepared
    ) -> None:
        """Store a delivery's outcome on the row and the incident's timeline."""
        now = self._clock()
        if delivery.ok:
            ref = dict(delivery.ref)
            if prepared.head is not None:
                self._remember_head(uow, item, prepared.head, ref, now=now)
            if item.action is IntentAction.SLACK_HEAD_UPDATE:
                assert item.channel is not None
                uow.outbox.mark_edited(
                    item.incident_id, item.channel, at=now, digest=prepared.digest
                )
            uow.outbox.finish(item.id, status=OutboxStatus.SENT, at=now, result=ref)
            if item.action is not IntentAction.SLACK_HEAD_UPDATE:
                self._event(uow, item, "sent", ref, deduplicated=delivery.deduplicated)
            return
        if delivery.retry_at is not None:
            uow.outbox.reschedule(item.id, due_at=delivery.retry_at, error=delivery.error)
            if item.attempts == 1:
                self._event(uow, item, f"failed, retrying ({delivery.error})", {})
            return
        uow.outbox.finish(item.id, status=OutboxStatus.FAILED, at=now, error=delivery.error)
        self._event(uow, item, f"failed for good ({delivery.error})", {})

    def _remember_head(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        head: SlackThread,
        ref: dict[str, Any],
        *,
        now: datetime,
    ) -> None:
        if uow.outbox.thread(item.incident_id, head.channel) is not None:
            return
        uow.outbox.add_thread(
            SlackThread(
                incident_id=item.incident_id,
                channel=head.channel,
                channel_id=str(ref.get("channel") or head.channel),
                ts=str(ref["ts"]),
                intro=head.intro,
                digest=head.digest,
                last_edit_at=None,
            ),
            at=now,
        )

    def _fire_timer(self, item: OutboxItem) -> None:
        with self._store.unit_of_work() as uow:
            result = self._comms.fire_timer(uow, item)
            status = OutboxStatus.SENT if result.intents else OutboxStatus.SKIPPED
            uow.outbox.finish(
                item.id, status=status, at=self._clock(), result={"planned": len(result.intents)}
            )
            if result.intents:
                kind = str(item.payload.get("kind"))
                self._event(uow, item, f"{kind} fired: {len(result.intents)} planned", {})
            uow.commit()

    def _event(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        outcome: str,
        ref: dict[str, Any],
        *,
        deduplicated: bool = False,
    ) -> None:
        where = f" in {item.channel}" if item.channel else ""
        target = item.payload.get("target") or item.payload.get("touchpoint") or ""
        what = f"{item.action.value}{where}" + (f" ({target})" if target else "")
        kind = EventKind.MESSAGE_SENT if item.action in SLACK_ACTIONS else EventKind.PLAYBOOK_STEP
        uow.incidents.add_event(
            item.incident_id,
            at=self._clock(),
            kind=kind,
            source=f"playbook:{item.playbook}",
            summary=f"{item.playbook} {item.step}: {what} {outcome}",
            data={
                "key": item.key,
                "action": item.action.value,
                "channel": item.channel,
                "attempt": item.attempts,
                "result": ref,
                "deduplicated": deduplicated,
                "approved_by": item.approved_by,
            },
        )


def _claimed(item: OutboxItem) -> OutboxItem:
    # The row as claimed: one more attempt than when it was read.
    return OutboxItem(**{**item.__dict__, "attempts": item.attempts + 1})
