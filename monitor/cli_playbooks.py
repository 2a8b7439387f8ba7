"""``monitor playbooks``: show what the playbooks would do for an incident, sending nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from monitor.catalog import load_catalog
from monitor.errors import ConfigError, MonitorError
from monitor.playbooks import load_playbooks
from monitor.services.comms import Comms
from monitor.settings import get_settings
from monitor.store import Store, create_store_engine

playbooks_app = typer.Typer(help="Communication playbooks.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@playbooks_app.command("dry-run")
def dry_run(
    incident: Annotated[int, typer.Option(help="The incident to plan for.")],
    playbooks: Annotated[Path | None, typer.Option(help="Playbook directory.")] = None,
) -> None:
    """Print the messages, pages, calls and timers the playbooks would plan for an incident."""
    settings = get_settings()
    try:
        catalog = load_catalog(settings.catalog_path)
        book = load_playbooks(playbooks or settings.playbooks_dir, catalog)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    store = Store(create_store_engine(settings.sqlalchemy_url()))
    comms = Comms(playbooks=book, catalog=catalog, settings=settings, clock=_now)
    try:
        with store.unit_of_work() as uow:
            planned = comms.dry_run(uow, incident)
    except MonitorError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        store.engine.dispose()
    if not planned:
        out.print(f"incident {incident}: no playbook step would run now")
    for intent, stored in planned:
        state = f"already {stored.status.value}" if stored else "would run"
        where = f" {intent.channel}" if intent.channel else ""
        out.print(
            f"{intent.due_at:%Y-%m-%d %H:%M} {state:<20} {intent.playbook} {intent.step} "
            f"{intent.action.value}{where}",
            markup=False,
            highlight=False,
        )
        detail = intent.payload.get("text") or intent.payload.get("en") or intent.payload
        shown = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        out.print(f"    {shown}", markup=False, highlight=False)


def _now() -> datetime:
    return datetime.now(UTC)
