"""``monitor sim``: generate a simulated company's history, replay it live, or serve its metrics."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from monitor.errors import ConfigError
from monitor.sim.scenario import Scenario, load_scenario

sim_app = typer.Typer(
    name="sim",
    help="A simulated company (bank, payroll bureau, airline) with known ground truth.",
    no_args_is_help=True,
)

ScenarioOpt = Annotated[Path, typer.Option("--scenario", "-s", help="Scenario YAML file.")]


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc


@sim_app.command()
def generate(
    scenario: ScenarioOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    weeks: Annotated[float | None, typer.Option(help="Override the history length.")] = None,
    customers: Annotated[int | None, typer.Option(help="Override the customer count.")] = None,
) -> None:
    """Write weeks of history: OpenMetrics files, operational DB, ground truth."""
    from monitor.sim.generate import generate as run_generate

    loaded = _load(scenario)
    try:
        loaded = loaded.with_changes(
            seed=seed,
            customers=customers,
            duration=timedelta(weeks=weeks) if weeks is not None else None,
        )
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    started = time.perf_counter()
    manifest = run_generate(loaded, out)
    typer.echo(
        f"{manifest['scenario']}: {manifest['customers']} customers, "
        f"{manifest['minutes']} minutes, "
        f"{manifest['series']} series, {len(manifest['metrics_files'])} OpenMetrics files "
        f"in {out} ({time.perf_counter() - started:.1f} s)"
    )
    typer.echo(
        "backfill: for f in "
        f"{out / 'metrics'}/*.om; do promtool tsdb create-blocks-from openmetrics $f DATA; done"
    )


@sim_app.command()
def run(
    scenario: ScenarioOpt,
    db: Annotated[Path, typer.Option(help="Operational database file to fill.")] = Path(
        "sim-opdb.sqlite"
    ),
    port: Annotated[int, typer.Option(help="Port for /metrics.")] = 9464,
    speed: Annotated[float, typer.Option(help="Simulated minutes per wall-clock minute.")] = 1.0,
    lead: Annotated[int, typer.Option(help="Minutes before the first fault to start.")] = 5,
    minutes: Annotated[int | None, typer.Option(help="Stop after this many minutes.")] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Write the ground truth (truth.json) here first.")
    ] = None,
) -> None:
    """Replay a scenario on the wall clock with /metrics for a real Prometheus to scrape."""
    from monitor.sim.live import run_live

    if speed <= 0:
        raise typer.BadParameter("speed must be positive")
    run_live(
        _load(scenario),
        db_path=db,
        port=port,
        speed=speed,
        lead=timedelta(minutes=lead),
        minutes=minutes,
        truth_path=truth,
        say=typer.echo,
    )


@sim_app.command()
def serve(
    metrics: Annotated[Path, typer.Option(help="Directory of generated OpenMetrics files.")],
    port: Annotated[int, typer.Option(help="Port for the query API.")] = 9090,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve generated metrics through a Prometheus-compatible query API."""
    from monitor.sim.query_server import serve_query_api, store_from_openmetrics

    files = sorted(metrics.glob("*.om"))
    if not files:
        typer.echo(f"no .om files in {metrics}", err=True)
        raise typer.Exit(code=2)
    server = serve_query_api(store_from_openmetrics(files), host=host, port=port)
    typer.echo(f"Prometheus-compatible API on {server.url} ({len(files)} files)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()
