"""The audit log: who changed what, for administrators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from monitor.api.auth import require
from monitor.api.cursor import decode_cursor, encode_cursor
from monitor.api.deps import RuntimeDep
from monitor.api.errors import QueryError
from monitor.api.schemas import AuditEntryRead, AuditPage
from monitor.services.audit import audit_page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", dependencies=[Depends(require("admin"))])
def list_audit(
    rt: RuntimeDep,
    since: Annotated[AwareDatetime | None, Query(description="Entries at or after.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Entries before.")] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    target: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Audit entries, newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    if since is not None and until is not None and until <= since:
        raise QueryError("until: must be after since")
    after = decode_cursor(cursor) if cursor else None
    # One more than asked says whether another page follows without an empty last page.
    found = audit_page(
        rt.store, since=since, until=until, actor=actor, target=target, after=after, limit=limit + 1
    )
    page = found[:limit]
    more = len(found) > limit
    next_cursor = encode_cursor((page[-1].at, page[-1].id)) if more else None
    return AuditPage(items=[AuditEntryRead.of(e) for e in page], next_cursor=next_cursor)
