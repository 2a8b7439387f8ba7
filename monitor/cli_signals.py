"""``monitor signals import FILE``: load customer signals from a CSV or JSON-lines file.

Each line (JSON lines) or row (CSV with a header) has the fields of
``POST /api/v1/signals``: ``source``, ``time``, ``channel``, ``text``,
``score``, ``score_kind``, ``touchpoint``, ``customer``. ``source`` may be
left out and given once with ``--source``; times without a zone are read as
UTC (the simulator's ``complaints.jsonl`` has them so). Bad lines are refused
one by one with their line number; the good ones are imported. The exit code
is 1 when any line was refused, 2 when the file cannot be read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from monitor.bootstrap import utc_now
from monitor.catalog import load_catalog
from monitor.errors import ConfigError, InputError
from monitor.services.signals import accept_signals
from monitor.settings import get_settings
from monitor.signals import SignalDraft, parse_signal
from monitor.store import Store, create_store_engine, migrate

signals_app = typer.Typer(help="Customer signals: complaints, tickets, reviews, scores.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
CHUNK = 1000
MAX_SHOWN = 20


class FileFormat(StrEnum):
    """How the file is written."""

    CSV = "csv"
    JSONL = "jsonl"


@signals_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV or JSON-lines file of signals.")],
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or jsonl; guessed from the file name when left out."),
    ] = None,
    source: Annotated[
        str, typer.Option(help="The source of lines that do not name one.")
    ] = "import",
) -> None:
    """Import signals; customer references are pseudonymised before anything is stored."""
    settings = get_settings()
    fmt = file_format or (FileFormat.CSV if file.suffix.lower() == ".csv" else FileFormat.JSONL)
    try:
        catalog = load_catalog(settings.catalog_path)
    except ConfigError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from exc
    now = utc_now()
    drafts: list[SignalDraft] = []
    refused: list[str] = []
    try:
        for where, record in _records(file, fmt):
            if isinstance(record, _NotJson):
                refused.append(f"{where}: not JSON")
                continue
            if isinstance(record, dict):
                record = {k: v for k, v in record.items() if v not in (None, "")}
                record.setdefault("source", source)
            try:
                drafts.append(
                    parse_signal(
                        record,
                        where=where,
                        now=now,
                        touchpoints=catalog.touchpoints.keys(),
                        naive_is_utc=True,
                    )
                )
            except InputError as exc:
                refused.append(str(exc))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        err.print(f"{file}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    engine = create_store_engine(settings.sqlalchemy_url())
    try:
        migrate.upgrade(engine)
        store = Store(engine)
        for start in range(0, len(drafts), CHUNK):
            accept_signals(
                store,
                drafts=drafts[start : start + CHUNK],
                catalog=catalog,
                settings=settings,
                received_at=now,
            )
    finally:
        engine.dispose()
    for reason in refused[:MAX_SHOWN]:
        err.print(reason, markup=False, highlight=False)
    if len(refused) > MAX_SHOWN:
        err.print(f"… and {len(refused) - MAX_SHOWN} more", markup=False, highlight=False)
    out.print(f"{len(drafts)} signals imported, {len(refused)} refused", highlight=False)
    if refused:
        raise typer.Exit(1)


def _records(path: Path, fmt: FileFormat) -> Iterator[tuple[str, object]]:
    """``(location, record)`` for every line or row; a line that is not JSON raises InputError."""
    with path.open(encoding="utf-8", newline="") as handle:
        if fmt is FileFormat.CSV:
            reader = csv.DictReader(handle)
            for row in reader:
                yield f"{path.name}:{reader.line_num}", dict(row)
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield f"{path.name}:{number}", _json(line, where=f"{path.name}:{number}")


def _json(line: str, *, where: str) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return _NotJson(where)


class _NotJson:
    """A line that is not JSON; parsing it reports the line."""

    def __init__(self, where: str) -> None:
        self.where = where
