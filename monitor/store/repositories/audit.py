"""The audit log: who changed what, appended in the change's own unit of work.

Rows are only ever added, never updated or deleted here. ``details`` is for
the shape of a change (from/to states, counts, ids of the monitor's own
records); secrets and customer ids never go in, and a key that names one is
refused so that a careless caller fails in its tests rather than in an audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import AuditLogRow

FORBIDDEN_KEYS = frozenset(
    {"token", "secret", "password", "digest", "customer_id", "customer_ids", "customer_ref"}
)
"""Detail keys that would put a secret or a customer id in the log."""


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: Mapping[str, Any] = field(default_factory=dict)


class AuditRepository:
    """Appends to and reads ``audit_log``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append an entry; ValueError when ``details`` names a secret or customer ids."""
        kept = dict(details or {})
        refused = sorted(FORBIDDEN_KEYS.intersection(k.lower() for k in kept))
        if refused:
            raise ValueError(f"audit details may not carry {', '.join(refused)}")
        self._session.add(
            AuditLogRow(
                at=at, actor=actor[:255], action=action[:64], target=target[:255], details=kept
            )
        )

    def page(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        target: str | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries newest first, strictly after the cursor ``(at, id)`` when given."""
        stmt = select(AuditLogRow)
        if since is not None:
            stmt = stmt.where(AuditLogRow.at >= since)
        if until is not None:
            stmt = stmt.where(AuditLogRow.at < until)
        if actor is not None:
            stmt = stmt.where(AuditLogRow.actor == actor)
        if target is not None:
            stmt = stmt.where(AuditLogRow.target == target)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(AuditLogRow.at < at, and_(AuditLogRow.at == at, AuditLogRow.id < last_id))
            )
        stmt = stmt.order_by(AuditLogRow.at.desc(), AuditLogRow.id.desc()).limit(limit)
        return [_entry(r) for r in self._session.scalars(stmt)]


def _entry(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=dict(row.details or {}),
    )
