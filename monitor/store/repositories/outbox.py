"""The outbox: planned notifications and the Slack head message of each incident per channel.

Rows are written in the transaction of the incident change that caused them
and read by the dispatcher, which claims them (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), delivers them in its own transaction and records what happened.
A row's ``key`` is unique, so planning the same step twice inserts nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.domain import IntentAction, NotificationIntent
from monitor.errors import ConflictError, NotFoundError
from monitor.store.models import OutboxRow, SlackThreadRow


class OutboxStatus(StrEnum):
    """Where a planned notification is in its life."""

    AWAITING_APPROVAL = "awaiting_approval"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


OPEN = (OutboxStatus.AWAITING_APPROVAL, OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class OutboxItem:
    """A stored notification as the dispatcher and people see it."""

    id: int
    key: str
    incident_id: int
    playbook: str
    step: str
    action: IntentAction
    channel: str | None
    payload: Mapping[str, Any]
    status: OutboxStatus
    due_at: datetime
    created_at: datetime
    attempts: int
    last_error: str | None
    result: Mapping[str, Any]
    sent_at: datetime | None
    approved_by: str | None


@dataclass(frozen=True)
class SlackThread:
    """An incident's head message in one channel."""

    incident_id: int
    channel: str
    channel_id: str
    ts: str
    intro: str
    digest: str
    last_edit_at: datetime | None


class OutboxRepository:
    """Reads and writes ``outbox`` and ``slack_threads``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, intent: NotificationIntent, *, now: datetime) -> bool:
        """Store an intent unless its key exists; True when a row was inserted.

        A coalescing intent whose key is still pending replaces that row's
        payload instead, so a burst of changes becomes one delivery.
        """
        row = self._session.scalar(select(OutboxRow).where(OutboxRow.key == intent.key))
        if row is not None:
            if intent.coalesce and row.status == OutboxStatus.PENDING:
                row.payload = dict(intent.payload)
            return False
        status = OutboxStatus.AWAITING_APPROVAL if intent.needs_approval else OutboxStatus.PENDING
        self._session.add(
            OutboxRow(
                key=intent.key[:255],
                incident_id=intent.incident_id,
                playbook=intent.playbook[:80],
                step=intent.step[:160],
                action=intent.action.value,
                channel=intent.channel,
                payload=dict(intent.payload),
                status=status.value,
                due_at=intent.due_at,
                created_at=now,
                attempts=0,
                result={},
            )
        )
        self._session.flush()
        return True

    def get(self, item_id: int) -> OutboxItem:
        """The row with this id; NotFoundError when there is none."""
        row = self._session.get(OutboxRow, item_id)
        if row is None:
            raise NotFoundError(f"notification {item_id} does not exist")
        return _item(row)

    def by_key(self, key: str) -> OutboxItem | None:
        """The row with this key, if any."""
        row = self._session.scalar(select(OutboxRow).where(OutboxRow.key == key))
        return None if row is None else _item(row)

    def keys(self, incident_id: int) -> set[str]:
        """Every key already planned for an incident, whatever became of it."""
        stmt = select(OutboxRow.key).where(OutboxRow.incident_id == incident_id)
        return set(self._session.scalars(stmt))

    def of_incident(self, incident_id: int) -> list[OutboxItem]:
        """An incident's notifications in the order they were planned."""
        stmt = select(OutboxRow).where(OutboxRow.incident_id == incident_id).order_by(OutboxRow.id)
        return [_item(r) for r in self._session.scalars(stmt)]

    def due(self, *, now: datetime, limit: int) -> list[OutboxItem]:
        """Rows to deliver now: pending and due, or claimed by a process that did not finish.

        Locked against other dispatchers where the database can, so two
        processes never claim the same row.
        """
        stmt = (
            select(OutboxRow)
            .where(
                or_(
                    (OutboxRow.status == OutboxStatus.PENDING) & (OutboxRow.due_at <= now),
                    (OutboxRow.status == OutboxStatus.SENDING) & (OutboxRow.claimed_until <= now),
                )
            )
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return [_item(r) for r in self._session.scalars(stmt)]

    def release_claims(self, *, now: datetime) -> int:
        """Make every claimed row due now; returns how many (for a new leader after a crash)."""
        rows = list(
            self._session.scalars(
                select(OutboxRow).where(OutboxRow.status == OutboxStatus.SENDING.value)
            )
        )
        for row in rows:
            row.claimed_until = now
        return len(rows)

    def claim(self, item_id: int, *, until: datetime) -> None:
        """Mark a row as being delivered until ``until`` (then another attempt may take it)."""
        row = self._session.get_one(OutboxRow, item_id)
        row.status = OutboxStatus.SENDING.value
        row.attempts += 1
        row.claimed_until = until

    def finish(
        self,
        item_id: int,
        *,
        status: OutboxStatus,
        at: datetime,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record the end of a row's life: sent, failed for good, skipped or cancelled."""
        row = self._session.get_one(OutboxRow, item_id)
        row.status = status.value
        row.claimed_until = None
        row.result = dict(result or {})
        row.last_error = error[:4000] if error else None
        if status is OutboxStatus.SENT:
            row.sent_at = at

    def reschedule(self, item_id: int, *, due_at: datetime, error: str | None = None) -> None:
        """Put a row back to pending, to be tried again at ``due_at``."""
        row = self._session.get_one(OutboxRow, item_id)
        row.status = OutboxStatus.PENDING.value
        row.claimed_until = None
        row.due_at = due_at
        if error is not None:
            row.last_error = error[:4000]

    def hold(self, item_id: int, *, due_at: datetime) -> None:
        """Give a claimed row back untried: pending until ``due_at``, its attempt not counted."""
        row = self._session.get_one(OutboxRow, item_id)
        row.status = OutboxStatus.PENDING.value
        row.claimed_until = None
        row.due_at = due_at
        row.attempts = max(0, row.attempts - 1)

    def remember_result(self, item_id: int, result: Mapping[str, Any]) -> None:
        """Keep a partial result (e.g. a Slack ts) before the row is finished."""
        row = self._session.get_one(OutboxRow, item_id)
        row.result = {**row.result, **result}

    def approve(self, item_id: int, *, by: str, at: datetime) -> OutboxItem:
        """Release a customer message for delivery; approving twice keeps the first person."""
        row = self._session.get(OutboxRow, item_id)
        if row is None:
            raise NotFoundError(f"notification {item_id} does not exist")
        if row.status != OutboxStatus.AWAITING_APPROVAL:
            if row.approved_by is not None:
                return _item(row)
            raise ConflictError(f"notification {item_id} is {row.status}, not awaiting approval")
        row.status = OutboxStatus.PENDING.value
        row.approved_by = by[:255]
        row.approved_at = at
        row.due_at = at
        return _item(row)

    def open_of(self, incident_id: int) -> list[OutboxItem]:
        """An incident's rows not delivered yet (pending or awaiting approval)."""
        stmt = (
            select(OutboxRow)
            .where(
                OutboxRow.incident_id == incident_id,
                OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.AWAITING_APPROVAL]),
            )
            .order_by(OutboxRow.id)
        )
        return [_item(r) for r in self._session.scalars(stmt)]

    def with_open_action(self, incident_ids: Collection[int], *, action: IntentAction) -> set[int]:
        """Which of these incidents have a row of ``action`` still to deliver or being delivered."""
        if not incident_ids:
            return set()
        stmt = select(OutboxRow.incident_id).where(
            OutboxRow.incident_id.in_(list(incident_ids)),
            OutboxRow.action == action.value,
            OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        return {int(i) for i in self._session.scalars(stmt)}

    def cancel_open(
        self,
        incident_id: int,
        *,
        keep: Collection[IntentAction] = (),
        keep_step_prefix: str | tuple[str, ...] | None = None,
    ) -> list[OutboxItem]:
        """Cancel an incident's undelivered rows but ``keep`` actions and steps under prefixes."""
        stmt = select(OutboxRow).where(
            OutboxRow.incident_id == incident_id,
            OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.AWAITING_APPROVAL]),
        )
        if keep:
            stmt = stmt.where(OutboxRow.action.not_in([a.value for a in keep]))
        prefixes = (keep_step_prefix,) if isinstance(keep_step_prefix, str) else keep_step_prefix
        for prefix in prefixes or ():
            stmt = stmt.where(OutboxRow.step.not_like(f"{prefix}%"))
        rows = list(self._session.scalars(stmt))
        for row in rows:
            row.status = OutboxStatus.CANCELLED.value
        return [_item(r) for r in rows]

    def cancel(self, item_ids: Collection[int]) -> None:
        """Cancel these rows if they are still undelivered."""
        if not item_ids:
            return
        self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(list(item_ids)),
                OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.AWAITING_APPROVAL]),
            )
            .values(status=OutboxStatus.CANCELLED.value)
        )

    def earlier_open_post(self, item: OutboxItem) -> OutboxItem | None:
        """An undelivered post planned before ``item`` in the same incident and channel.

        The first post in a channel becomes the incident's head message there,
        so later posts wait for it rather than starting a second thread.
        """
        row = self._session.scalar(
            select(OutboxRow)
            .where(
                OutboxRow.incident_id == item.incident_id,
                OutboxRow.channel == item.channel,
                OutboxRow.id < item.id,
                OutboxRow.action.in_([IntentAction.SLACK_POST.value, IntentAction.PAGE.value]),
                OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .order_by(OutboxRow.id)
            .limit(1)
        )
        return None if row is None else _item(row)

    def move(self, *, from_incident: int, to_incident: int) -> None:
        """Cancel what was planned for an incident merged into another."""
        self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.incident_id == from_incident,
                OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.AWAITING_APPROVAL]),
            )
            .values(status=OutboxStatus.CANCELLED.value, last_error=f"merged into {to_incident}")
        )

    def thread(self, incident_id: int, channel: str) -> SlackThread | None:
        """The incident's head message in ``channel``, if it was posted."""
        row = self._thread_row(incident_id, channel)
        return None if row is None else _thread(row)

    def counts(self) -> dict[tuple[str, str], int]:
        """Rows by (status, action): what was sent, what failed, what waits (for /metrics)."""
        stmt = select(OutboxRow.status, OutboxRow.action, func.count()).group_by(
            OutboxRow.status, OutboxRow.action
        )
        return {(str(s), str(a)): int(n) for s, a, n in self._session.execute(stmt)}

    def threads(self, incident_id: int) -> list[SlackThread]:
        """Every head message of an incident."""
        stmt = (
            select(SlackThreadRow)
            .where(SlackThreadRow.incident_id == incident_id)
            .order_by(SlackThreadRow.id)
        )
        return [_thread(r) for r in self._session.scalars(stmt)]

    def thread_by_ts(self, channel_id: str, ts: str) -> SlackThread | None:
        """The head message Slack knows by channel id and ts (for button clicks)."""
        row = self._session.scalar(
            select(SlackThreadRow).where(
                SlackThreadRow.channel_id == channel_id, SlackThreadRow.ts == ts
            )
        )
        return None if row is None else _thread(row)

    def add_thread(self, thread: SlackThread, *, at: datetime) -> None:
        """Remember the head message just posted in a channel."""
        self._session.add(
            SlackThreadRow(
                incident_id=thread.incident_id,
                channel=thread.channel,
                channel_id=thread.channel_id,
                ts=thread.ts,
                intro=thread.intro,
                digest=thread.digest,
                created_at=at,
            )
        )
        self._session.flush()

    def mark_edited(self, incident_id: int, channel: str, *, at: datetime, digest: str) -> None:
        """Note when a head message was last edited and what it shows, to space edits out."""
        row = self._thread_row(incident_id, channel)
        if row is not None:
            row.last_edit_at = at
            row.digest = digest

    def open_head_update(self, incident_id: int, channel: str) -> OutboxItem | None:
        """The head update of this channel still waiting to be delivered, if any."""
        row = self._session.scalar(
            select(OutboxRow)
            .where(
                OutboxRow.incident_id == incident_id,
                OutboxRow.channel == channel,
                OutboxRow.action == IntentAction.SLACK_HEAD_UPDATE.value,
                OutboxRow.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .limit(1)
        )
        return None if row is None else _item(row)

    def _thread_row(self, incident_id: int, channel: str) -> SlackThreadRow | None:
        return self._session.scalar(
            select(SlackThreadRow).where(
                SlackThreadRow.incident_id == incident_id, SlackThreadRow.channel == channel
            )
        )


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        incident_id=row.incident_id,
        playbook=row.playbook,
        step=row.step,
        action=IntentAction(row.action),
        channel=row.channel,
        payload=dict(row.payload),
        status=OutboxStatus(row.status),
        due_at=row.due_at,
        created_at=row.created_at,
        attempts=row.attempts,
        last_error=row.last_error,
        result=dict(row.result),
        sent_at=row.sent_at,
        approved_by=row.approved_by,
    )


def _thread(row: SlackThreadRow) -> SlackThread:
    return SlackThread(
        incident_id=row.incident_id,
        channel=row.channel,
        channel_id=row.channel_id,
        ts=row.ts,
        intro=row.intro,
        digest=row.digest,
        last_edit_at=row.last_edit_at,
    )
