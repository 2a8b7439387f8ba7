"""Exporting affected customer ids for remediation, to an access-controlled file.

Ids come from the operational database through each touchpoint's
``customer_ids`` query (bound ``:start`` and ``:end``). They are written to a
file readable by its owner only; only the path and the count leave this
module, never the ids (not to Slack, the logs or the timeline).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

QUERY_ROLE = "customer_ids"


@dataclass(frozen=True)
class ExportResult:
    """Where the ids went and how many there were; ``path`` None when nothing was exported."""

    path: Path | None
    count: int
    note: str
    retryable: bool = False


def export_customer_ids(
    *,
    key: str,
    directory: Path,
    database_url: str | None,
    queries: Mapping[str, str],
    touchpoints: Sequence[str],
    start: datetime,
    end: datetime,
) -> ExportResult:
    """Run each touchpoint's query and write the distinct ids, one per line, mode 0600."""
    usable = {t: queries[t] for t in touchpoints if t in queries}
    if database_url is None or not usable:
        return ExportResult(None, 0, "no customer ids available")
    path = directory / f"customer-ids-{hashlib.sha256(key.encode()).hexdigest()[:16]}.txt"
    if path.exists():  # an earlier attempt finished writing; keep it rather than redo
        with path.open(encoding="utf-8") as handle:
            return ExportResult(path, sum(1 for _ in handle), "already exported")
    engine = create_engine(database_url)
    ids: set[str] = set()
    try:
        with engine.connect() as connection:
            for sql in usable.values():
                rows = connection.execute(text(sql), {"start": start, "end": end})
                ids.update(str(r[0]) for r in rows)
    except SQLAlchemyError as exc:
        return ExportResult(None, 0, f"operational database error: {type(exc).__name__}", True)
    finally:
        engine.dispose()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{i}\n" for i in sorted(ids))
    partial.replace(path)
    return ExportResult(path, len(ids), f"{len(ids)} customer ids exported")
