"""``monitor demo``: the whole monitor on one machine, watching a simulated company's outage.

The scenario is simulated first (a few seconds), then the monitor runs on
a clock in the company's time, ``speed`` times faster than the wall clock:
the API and status page on loopback, SQLite, the example catalog and
playbooks, estimates read from the embedded query API and the simulated
operational database. The scenario's faults reach the monitor as
Alertmanager webhooks over HTTP; everything shown afterwards is read back
from the monitor's API, its status page and its Slack sink.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live

from monitor.bootstrap import build_runtime
from monitor.demo.alerts import DemoAlert, alerts_for, webhook_body
from monitor.demo.clock import VirtualClock
from monitor.demo.display import incidents_table, line_text, panel
from monitor.demo.observe import Line, Observer
from monitor.demo.server import running_server
from monitor.demo.world import DemoWorld, demo_world, shrink
from monitor.settings import Settings
from monitor.sim import load_scenario

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = REPO / "examples" / "scenarios" / "monday-9am.yaml"
LEAD = timedelta(minutes=3)
"""Simulated time shown before the first alert, and kept when skipping quiet stretches."""
ACKNOWLEDGE_AFTER = timedelta(minutes=6)
"""When the demo's on-call engineer takes an incident, after it opens."""
TICK_SECONDS = 0.5
ESTIMATE_INTERVAL_SECONDS = 60
"""Live estimates every simulated minute: the estimate visibly grows at any speed."""
SETTLE = timedelta(minutes=30)
"""Simulated time allowed, after the last alert resolves, for incidents to resolve and be
reported (the quiet period, and the report's wait when no final estimate can come)."""
_OWN_FILES = ("monitor.db", "monitor.db-wal", "monitor.db-shm", "notifications.jsonl")


@dataclass(frozen=True)
class DemoOptions:
    """What ``monitor demo`` was asked to do."""

    scenario: Path = DEFAULT_SCENARIO
    speed: float = 30.0
    once: bool = False
    customers: int = 10_000
    history: timedelta = timedelta(weeks=2)


@dataclass
class _Send:
    """A webhook to post when the clock reaches ``at``."""

    at: datetime
    alerts: list[DemoAlert] = field(default_factory=list)
    resolved: bool = False


def run_demo(settings: Settings, *, options: DemoOptions, console: Console) -> None:
    """Simulate the scenario, serve the monitor, play the outage, write the report."""
    _clean(settings.data_dir)
    scenario = shrink(
        load_scenario(options.scenario), customers=options.customers, history=options.history
    )
    spec = scenario.spec
    console.rule(f"{spec.name}: {spec.description}".rstrip(": "))
    began = time.monotonic()
    with demo_world(scenario, directory=settings.data_dir / "world") as world:
        console.print(
            f"Simulated {spec.customers:,} customers over {scenario.minutes // 1440} days "
            f"in {time.monotonic() - began:.1f} s; metrics served by the embedded "
            f"Prometheus-compatible API on {world.prometheus_url}, "
            f"company records in {world.opdb_url}"
        )
        settings = _demo_settings(settings, world)
        clock = VirtualClock(start=world.first_fault - LEAD, speed=options.speed)
        runtime = build_runtime(settings, clock=clock)
        try:
            with running_server(runtime, host=settings.host, port=settings.port) as url:
                console.print(
                    f"Monitor API on {url}/docs, status page on {url}/ "
                    f"(SQLite {settings.sqlalchemy_url()}, catalog {settings.catalog_path}, "
                    f"playbooks {settings.playbooks_dir.resolve()}, Slack "
                    + ("workspace" if settings.slack_token else f"sink {_sink(settings)}")
                    + ")"
                )
                with httpx.Client(base_url=url, timeout=30) as client:
                    observer = Observer(
                        client,
                        sink=None if settings.slack_token else _sink(settings),
                        snapshots=settings.data_dir / "status-page",
                    )
                    play(
                        world=world,
                        clock=clock,
                        client=client,
                        observer=observer,
                        estimate=runtime.scheduler.estimate_once,
                        console=console,
                        url=url,
                    )
                    _write_reports(client, observer, directory=settings.data_dir, console=console)
                if options.once:
                    return
                console.print(f"Still serving on {url}/ (the clock runs on); Ctrl-C to stop.")
                while True:
                    time.sleep(3600)
        finally:
            runtime.close()


def _demo_settings(settings: Settings, world: DemoWorld) -> Settings:
    """Point the monitor at the simulated company, with the scenario's own catalog."""
    scenario = world.scenario
    playbooks = settings.playbooks_dir
    return settings.model_copy(
        update={
            "catalog_path": (Path(scenario.source).parent / scenario.spec.catalog).resolve(),
            "playbooks_dir": playbooks if playbooks.is_dir() else REPO / "playbooks",
            "prometheus_url": world.prometheus_url,
            "operational_db_url": world.opdb_url,
            "notification_sink": "file",
            "public_base_url": f"http://{settings.host}:{settings.port}",
            "estimate_interval_seconds": ESTIMATE_INTERVAL_SECONDS,
        }
    )


def _sink(settings: Settings) -> Path:
    return settings.data_dir / "notifications.jsonl"


def _clean(directory: Path) -> None:
    """Forget the previous run: the demo always starts from an empty monitor."""
    for name in _OWN_FILES:
        (directory / name).unlink(missing_ok=True)
    for old in (directory / "status-page").glob("status-*.html"):
        old.unlink()


def play(
    *,
    world: DemoWorld,
    clock: VirtualClock,
    client: httpx.Client,
    observer: Observer,
    estimate: Callable[[], int],
    console: Console,
    url: str,
) -> None:
    """Post the alerts as their time comes and show what the monitor makes of them."""
    sends = _schedule(alerts_for(world.faults, world.scenario.catalog))
    acknowledged: set[int] = set()
    firing: set[str] = set()
    settle_until: float | None = None
    with _live(console) as live:
        show = live.console.print if live is not None else console.print
        while True:
            now = clock()
            while sends and sends[0].at <= now:
                send = sends.pop(0)
                body = webhook_body(send.alerts, resolved=send.resolved)
                client.post("/api/v1/ingest/alertmanager", content=body).raise_for_status()
                names = {a.name for a in send.alerts}
                firing = firing - names if send.resolved else firing | names
                for line in _sent_lines(send):
                    show(line_text(line))
            estimate()
            for line in observer.look(now):
                show(line_text(line))
            for line in _acknowledge(client, observer, now=now, done=acknowledged):
                show(line_text(line))
            if live is not None:
                live.update(panel(observer.view, now=now, speed=clock.speed, url=url))
            if not sends:
                settle_until = settle_until or (
                    time.monotonic() + SETTLE.total_seconds() / clock.speed + 30
                )
                if _finished(observer) or time.monotonic() > settle_until:
                    break
            elif not firing and not _busy(observer) and sends[0].at - now > 2 * LEAD:
                # Nothing is open: the hours until the next fault would show nothing.
                show(line_text(Line(now, "clock", f"quiet until {sends[0].at:%a %H:%M}: skipping")))
                clock.skip_to(sends[0].at - LEAD)
            time.sleep(TICK_SECONDS)
    console.print(incidents_table(observer.view))


@contextmanager
def _live(console: Console) -> Iterator[Live | None]:
    """A live panel on a terminal; nothing elsewhere (the log lines tell the story)."""
    manager: AbstractContextManager[Live | None] = (
        Live(console=console, refresh_per_second=4) if console.is_terminal else nullcontext()
    )
    with manager as live:
        yield live


def _schedule(alerts: list[DemoAlert]) -> list[_Send]:
    """Webhooks in time order; alerts due at the same moment travel together."""
    sends: dict[tuple[datetime, bool], _Send] = {}
    for alert in alerts:
        for at, resolved in ((alert.fires_at, False), (alert.resolves_at, True)):
            sends.setdefault((at, resolved), _Send(at=at, resolved=resolved)).alerts.append(alert)
    return sorted(sends.values(), key=lambda s: (s.at, s.resolved))


def _sent_lines(send: _Send) -> list[Line]:
    lines: list[Line] = []
    for alert in send.alerts:
        labels = ", ".join(f"{k}={v}" for k, v in alert.labels.items() if k != "alertname")
        if send.resolved:
            text = f"{alert.name} resolved (fault {alert.fault.spec.id} over)"
            lines.append(Line(send.at, "resolved", text))
        else:
            text = f"{alert.name} firing {{{labels}}}: {alert.annotations['summary']}"
            lines.append(Line(send.at, "alert", text))
    return lines


def _acknowledge(
    client: httpx.Client, observer: Observer, *, now: datetime, done: set[int]
) -> list[Line]:
    """The on-call engineer takes each incident a few minutes after it opens."""
    lines: list[Line] = []
    for incident in observer.view.incidents:
        opened = datetime.fromisoformat(incident["opened_at"])
        if incident["id"] in done or incident["state"] == "resolved":
            continue
        if now - opened >= ACKNOWLEDGE_AFTER:
            done.add(incident["id"])
            answer = client.post(
                f"/api/v1/incidents/{incident['id']}/acknowledge", json={"by": "on-call engineer"}
            )
            if answer.is_success:
                lines.append(Line(now, "on-call", f"acknowledges incident #{incident['id']}"))
    return lines


def _busy(observer: Observer) -> bool:
    """True while an incident is open (the clock must not skip over it)."""
    return any(i["state"] != "resolved" for i in observer.view.incidents)


def _finished(observer: Observer) -> bool:
    """Every incident resolved and reported (after its final estimate, when one can come)."""
    incidents = observer.view.incidents
    return bool(incidents) and all(
        i["state"] == "resolved" and i["id"] in observer.view.reports for i in incidents
    )


def _write_reports(
    client: httpx.Client, observer: Observer, *, directory: Path, console: Console
) -> None:
    """Save each incident's stored post-incident report as HTML and print where it is."""
    for incident_id, path in sorted(observer.view.reports.items()):
        answer = client.get(path, params={"format": "html", "stored": "true"})
        if not answer.is_success:
            console.print(f"incident #{incident_id}: no report ({answer.status_code})")
            continue
        target = directory / "reports" / f"incident-{incident_id}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(answer.text, encoding="utf-8")
        console.print(f"Post-incident report of incident #{incident_id}: {target}")
    if not observer.view.reports:
        console.print("No post-incident report was written (no incident resolved in time).")
