"""Reading the audit log (entries are written by each action, in its own unit of work)."""

from __future__ import annotations

from datetime import datetime

from monitor.store import Store
from monitor.store.repositories.audit import AuditEntry


def audit_page(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    target: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, filtered, strictly after the ``(at, id)`` cursor when given."""
    with store.unit_of_work() as uow:
        return uow.audit.page(
            since=since, until=until, actor=actor, target=target, after=after, limit=limit
        )
