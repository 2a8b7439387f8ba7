"""The ``monitor`` command: check configuration, migrate, serve.

This is the only place that turns errors into exit codes: 0 success,
1 invalid configuration or failed operation, 2 wrong usage (typer's own).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.catalog import load_catalog
from monitor.demo import run_demo
from monitor.errors import ConfigError, MonitorError, Problem
from monitor.settings import Settings, get_settings
from monitor.sim.cli import sim_app
from monitor.store import create_store_engine, migrate
from monitor.yamlfile import read_yaml_file

app = typer.Typer(help="Outage customer-impact monitor.", no_args_is_help=True)
db_app = typer.Typer(help="The monitor's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="sim", help="The simulated company: generate history, run live.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def main() -> None:
    """Entry point of the console script."""
    app()


@app.command()
def check(
    catalog: Annotated[Path | None, typer.Option(help="Catalog file to validate.")] = None,
    playbooks: Annotated[
        Path | None, typer.Option(help="Directory of playbook files to validate.")
    ] = None,
) -> None:
    """Validate the catalog (and playbook files); list every problem with its location."""
    settings = _settings()
    catalog_path = catalog or settings.catalog_path
    problems: list[Problem] = []
    summary = ""
    try:
        loaded = load_catalog(catalog_path)
        summary = (
            f"{catalog_path}: {len(loaded.components)} components, "
            f"{len(loaded.groups)} redundancy groups, {len(loaded.touchpoints)} touchpoints, "
            f"{len(loaded.teams)} teams"
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    problems.extend(_check_playbooks(playbooks))
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(problems)} problem(s) found", style="bold red")
        raise typer.Exit(1)
    out.print(f"OK {summary}", markup=False, highlight=False)


def _check_playbooks(directory: Path | None) -> list[Problem]:
    if directory is None:
        return []
    if not directory.is_dir():
        return [Problem(str(directory), None, "", "not a directory")]
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            read_yaml_file(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the database migrations (SQLite under the data directory unless configured)."""
    settings = _settings()
    engine = create_store_engine(settings.sqlalchemy_url())
    try:
        migrate.upgrade(engine, revision)
        out.print(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one this version knows."""
    settings = _settings()
    engine = create_store_engine(settings.sqlalchemy_url())
    try:
        out.print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Apply migrations, then serve the API and run the worker until stopped."""
    settings = _settings()
    _configure_logging(settings)
    try:
        runtime = build_runtime(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    except MonitorError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    try:
        uvicorn.run(
            create_app(runtime, start_worker=settings.worker_enabled),
            host=host or settings.host,
            port=settings.port if port is None else port,
            log_level=settings.log_level.lower(),
        )
    finally:
        runtime.close()


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the demo API.")] = 8080,
    speed: Annotated[float, typer.Option(help="Play the story this many times faster.")] = 1.0,
    once: Annotated[bool, typer.Option(help="Stop after the story instead of serving on.")] = False,
    data_dir: Annotated[Path, typer.Option(help="Where the demo database lives.")] = Path(
        "var/demo"
    ),
) -> None:
    """Run the monitor on SQLite with the example catalog and play a scripted outage."""
    for leftover in ("monitor.db", "monitor.db-wal", "monitor.db-shm"):
        (data_dir / leftover).unlink(missing_ok=True)
    settings = _settings(
        data_dir=data_dir,
        database_url=None,
        host="127.0.0.1",
        port=port,
        resolve_quiet_seconds=max(1, int(20 / speed)),
    )
    _configure_logging(settings)
    try:
        run_demo(settings, speed=speed, once=once, console=out)
    except KeyboardInterrupt:
        out.print("stopped")


def _settings(**overrides: Any) -> Settings:
    """The settings, or exit 1 naming each bad MONITOR_* value."""
    try:
        return get_settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            name = "MONITOR_" + "_".join(str(p) for p in error["loc"]).upper()
            err.print(f"{name}: {error['msg']}", markup=False, highlight=False)
        raise typer.Exit(1) from exc


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per HTTP request of our own clients is noise, not information.
    logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    main()
