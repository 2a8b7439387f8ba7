"""The ``monitor`` command: check configuration, migrate, serve.

This is the only place that turns errors into exit codes: 0 success,
1 invalid configuration or failed operation, 2 wrong usage (typer's own).
"""

from __future__ import annotations

import gc
import logging
import os
import pwd
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from monitor.api import create_app
from monitor.bootstrap import build_runtime, utc_now
from monitor.catalog import Catalog, load_catalog
from monitor.cli_playbooks import playbooks_app
from monitor.cli_report import report_command
from monitor.cli_signals import signals_app
from monitor.demo import DEFAULT_SCENARIO, DemoOptions, run_demo
from monitor.errors import ConfigError, InputError, MonitorError, Problem
from monitor.impact_command import ImpactArgs, run_impact
from monitor.playbooks import check_playbooks
from monitor.playbooks.targets import unconfigured_targets
from monitor.services.tokens import create_token, list_tokens, revoke_token
from monitor.settings import Settings, get_settings
from monitor.sim.cli import sim_app
from monitor.store import Store, create_store_engine, migrate
from monitor.yamlfile import read_yaml_file

SWITCH_INTERVAL_SECONDS = 0.0005
"""How long a thread keeps the GIL before another may take it (Python's default: 5 ms)."""

app = typer.Typer(help="Outage customer-impact monitor.", no_args_is_help=True)
db_app = typer.Typer(help="The monitor's database.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (bearer tokens with scopes).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(playbooks_app, name="playbooks")
app.add_typer(token_app, name="token")
app.add_typer(sim_app, name="sim", help="The simulated company: generate history, run live.")
app.add_typer(signals_app, name="signals")
app.command("report")(report_command)
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
    if playbooks is None and settings.playbooks_dir.is_dir():
        playbooks = settings.playbooks_dir
    problems: list[Problem] = []
    summary = ""
    loaded: Catalog | None = None
    try:
        loaded = load_catalog(catalog_path)
        summary = (
            f"{catalog_path}: {len(loaded.components)} components, "
            f"{len(loaded.groups)} redundancy groups, {len(loaded.touchpoints)} touchpoints, "
            f"{len(loaded.teams)} teams"
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    problems.extend(_check_playbooks(playbooks, loaded))
    if playbooks is not None and loaded is not None:
        _warn_unconfigured_targets(playbooks, loaded, settings.webhook_urls)
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(problems)} problem(s) found", style="bold red")
        raise typer.Exit(1)
    out.print(f"OK {summary}", markup=False, highlight=False)


def _warn_unconfigured_targets(directory: Path, catalog: Catalog, urls: Mapping[str, str]) -> None:
    found, _ = check_playbooks(directory, catalog)
    for target, ids in sorted(unconfigured_targets(found.playbooks, urls).items()):
        err.print(
            f"warning: webhook target {target!r} (playbooks {', '.join(ids)}) has no URL in "
            "MONITOR_WEBHOOK_URLS: its calls go to the notification sink",
            markup=False,
            highlight=False,
        )


def _check_playbooks(directory: Path | None, catalog: Catalog | None) -> list[Problem]:
    if directory is None:
        return []
    if not directory.is_dir():
        return [Problem(str(directory), None, "", "not a directory")]
    if catalog is not None:
        # Against the catalog: steps, templates (rendered with a sample), channels, touchpoints.
        return check_playbooks(directory, catalog)[1]
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


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    scope: Annotated[
        list[str], typer.Option(help="status:read, incidents:write, ingest or admin; repeatable.")
    ],
) -> None:
    """Create a token and print it once; only its digest is stored."""
    store = _store()
    try:
        token, record = create_token(
            store, name=name, scopes=scope, actor=cli_actor(), now=utc_now()
        )
    except MonitorError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        store.engine.dispose()
    err.print(f"token {record.id} ({record.name}; {', '.join(sorted(record.scopes))}):")
    out.print(token, markup=False, highlight=False)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never the tokens themselves)."""
    store = _store()
    try:
        for t in list_tokens(store):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
            out.print(f"{t.id}\t{t.name}\t{','.join(sorted(t.scopes))}\t{state}", markup=False)
    finally:
        store.engine.dispose()


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument()]) -> None:
    """Revoke a token by its id (running servers forget it within seconds)."""
    store = _store()
    try:
        if not revoke_token(store, token_id=token_id, actor=cli_actor(), now=utc_now()):
            err.print(f"no live token with id {token_id}")
            raise typer.Exit(1)
    finally:
        store.engine.dispose()
    out.print(f"token {token_id} revoked")


def cli_actor() -> str:
    """How the audit log names whoever runs the command: ``cli:<login of the real uid>``.

    The login comes from the password database, not from ``$USER``, which anyone can set.
    """
    uid = os.getuid()
    try:
        return f"cli:{pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"cli:uid-{uid}"


def _store() -> Store:
    settings = _settings()
    engine = create_store_engine(settings.sqlalchemy_url())
    migrate.upgrade(engine)
    return Store(engine)


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
    # The inbox's writer thread gives up the GIL at every SQLite or PostgreSQL
    # call; with Python's default 5 ms switch interval each call can then wait
    # a whole slice of the event loop before it resumes, and a storm's deliveries
    # queue behind it. A shorter slice costs a little more switching.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    served = create_app(runtime, start_worker=settings.worker_enabled)
    # Modules, the catalog and the app live as long as the process: out of the
    # collector's sight, a full collection walks only what came since instead of
    # 160,000-190,000 objects, a 100-150 ms stop of every thread in a storm.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(
            served,
            host=host or settings.host,
            port=settings.port if port is None else port,
            log_level=settings.log_level.lower(),
        )
    finally:
        runtime.close()


@app.command()
def demo(
    scenario: Annotated[
        Path, typer.Option(help="Scenario to play (a file of examples/scenarios/).")
    ] = DEFAULT_SCENARIO,
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per wall-clock second.", min=1.0)
    ] = 30.0,
    once: Annotated[
        bool, typer.Option(help="Stop after the outage instead of serving on.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the demo API and status page.")] = 8080,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo's database, simulated world and report go.")
    ] = Path("var/demo"),
) -> None:
    """Simulate a company's outage and watch the monitor handle it, end to end, on loopback."""
    settings = _settings(
        data_dir=data_dir,
        database_url=None,
        host="127.0.0.1",
        port=port,
        require_auth=False,  # the demo listens on loopback only
    )
    _configure_logging(settings)
    try:
        run_demo(
            settings, options=DemoOptions(scenario=scenario, speed=speed, once=once), console=out
        )
    except ConfigError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        out.print("stopped")


@app.command()
def impact(
    catalog: Annotated[Path, typer.Option(help="Catalog whose touchpoints to estimate.")],
    start: Annotated[str, typer.Option(help="Window start, ISO 8601 (UTC if no offset).")],
    end: Annotated[str, typer.Option(help="Window end, ISO 8601 (UTC if no offset).")],
    prometheus: Annotated[str | None, typer.Option(help="Prometheus base URL.")] = None,
    odata_url: Annotated[
        str | None, typer.Option("--odata-url", help="Operational database SQLAlchemy URL.")
    ] = None,
    touchpoint: Annotated[
        list[str] | None, typer.Option(help="Only this touchpoint; repeatable.")
    ] = None,
    component: Annotated[
        list[str] | None, typer.Option(help="A failed component, for topology share.")
    ] = None,
    live: Annotated[bool, typer.Option(help="The window ends now: project to its end.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Estimate affected customers per touchpoint over a window, from Prometheus and SQL."""
    settings = _settings()
    args = ImpactArgs(
        catalog=catalog,
        start=start,
        end=end,
        prometheus=prometheus or settings.prometheus_url,
        odata_url=odata_url or settings.operational_db_url,
        touchpoints=tuple(touchpoint or ()),
        components=tuple(component or ()),
        live=live,
        timeout_seconds=settings.prometheus_timeout_seconds,
    )
    try:
        text = run_impact(args, as_json=as_json)
    except MonitorError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2 if isinstance(exc, InputError) else 1) from exc
    print(text)


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
