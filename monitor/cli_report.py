"""``monitor report``: a post-incident report, or a summary of every incident of a period.

``monitor report 12 --format html --out report.html`` renders incident 12;
``monitor report --since 2026-10-01 --until 2026-11-01`` sums up the incidents
opened in that period (dates without a zone are UTC). Exit codes: 0 written,
1 unknown incident or failed operation, 2 wrong usage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from monitor.bootstrap import utc_now
from monitor.catalog import load_catalog
from monitor.errors import ConfigError, NotFoundError
from monitor.report import ReportFormat, build_report, period_summary, render, render_period
from monitor.settings import get_settings
from monitor.store import Store, create_store_engine, migrate

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def report_command(
    incident_id: Annotated[
        int | None, typer.Argument(help="The incident; leave out with --since/--until.")
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="md, html or json.")] = (
        ReportFormat.MD
    ),
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of printing.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Period summary: first day (ISO date or time).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Period summary: end, excluded (ISO date or time).")
    ] = None,
) -> None:
    """Render the post-incident report of INCIDENT_ID, or a period summary with --since/--until."""
    if (incident_id is None) == (since is None or until is None):
        err.print("give either INCIDENT_ID or both --since and --until", markup=False)
        raise typer.Exit(2)
    period = (_moment(since), _moment(until)) if since and until else None
    settings = get_settings()
    try:
        catalog = load_catalog(settings.catalog_path)
    except ConfigError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    engine = create_store_engine(settings.sqlalchemy_url())
    try:
        migrate.upgrade(engine)
        store = Store(engine)
        with store.unit_of_work() as uow:
            if period is not None:
                summary = period_summary(
                    uow, catalog=catalog, since=period[0], until=period[1], now=utc_now()
                )
                text = render_period(summary, fmt)
            elif incident_id is not None:
                report = build_report(uow, catalog=catalog, incident_id=incident_id, now=utc_now())
                text = render(report, fmt)
    except NotFoundError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if out_file is None:
        out.out(text, end="", highlight=False)
        return
    out_file.write_text(text, encoding="utf-8")
    err.print(f"written to {out_file}", markup=False, highlight=False)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        err.print(f"{text!r} is not an ISO date or time", markup=False)
        raise typer.Exit(2) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
