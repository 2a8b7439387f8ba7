"""``monitor demo``: a real server on the embedded defaults, fed a scripted outage.

The story in ``examples/demo/story.json`` is posted over HTTP as Alertmanager
version-4 webhooks, with real fingerprints and times shifted to now, so the
demo exercises exactly the path production alerts take: HTTP, inbox, worker,
correlation, incidents. What the monitor concludes is printed as it happens.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from monitor.api import create_app
from monitor.bootstrap import Runtime, build_runtime
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.settings import Settings

ZERO_TIME = "0001-01-01T00:00:00Z"
STORY = Path(__file__).resolve().parent.parent / "examples" / "demo" / "story.json"


@dataclass(frozen=True)
class Step:
    """One moment of the story: what happens, and the alerts Alertmanager sends."""

    after_seconds: float
    say: str
    alerts: tuple[Mapping[str, Any], ...]


def load_story(path: Path) -> tuple[str, list[Step]]:
    """Read the demo story file."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    steps = [
        Step(float(s["after_seconds"]), str(s["say"]), tuple(s["alerts"])) for s in raw["steps"]
    ]
    return str(raw["title"]), steps


def webhook_body(step: Step, *, origin: datetime, speed: float) -> bytes:
    """The step's alerts as an Alertmanager version-4 webhook body."""
    alerts = []
    for spec in step.alerts:
        labels = dict(spec["labels"])
        ended = spec.get("ended_seconds")
        alerts.append(
            {
                "status": spec["status"],
                "labels": labels,
                "annotations": dict(spec.get("annotations", {})),
                "startsAt": _at(origin, spec["started_seconds"], speed),
                "endsAt": _at(origin, ended, speed) if ended is not None else ZERO_TIME,
                "generatorURL": "http://prometheus.demo:9090/graph",
                "fingerprint": labelset_fingerprint(labels),
            }
        )
    firing = any(a["status"] == "firing" for a in alerts)
    return json.dumps(
        {
            "version": "4",
            "receiver": "outage-monitor",
            "status": "firing" if firing else "resolved",
            "groupKey": "{}:{demo}",
            "truncatedAlerts": 0,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.demo:9093",
            "alerts": alerts,
        }
    ).encode()


def _at(origin: datetime, seconds: float, speed: float) -> str:
    moment = origin + timedelta(seconds=seconds / speed)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def running_server(
    runtime: Runtime, *, host: str, port: int, start_worker: bool = True
) -> Iterator[str]:
    """Serve the runtime's API in a background thread; yields its base URL."""
    app = create_app(runtime, start_worker=start_worker)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-server", daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the demo server did not start on {url}")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def play(*, url: str, story: Path, speed: float, console: Console) -> None:
    """Post the story's webhooks to a running monitor, printing what it concludes."""
    title, steps = load_story(story)
    console.rule(title)
    origin = datetime.now(UTC)
    with httpx.Client(base_url=url, timeout=10) as client:
        for step in steps:
            wait = origin + timedelta(seconds=step.after_seconds / speed) - datetime.now(UTC)
            time.sleep(max(0.0, wait.total_seconds()))
            console.print(f"[bold]» {step.say}[/bold]")
            body = webhook_body(step, origin=origin, speed=speed)
            answer = client.post("/api/v1/ingest/alertmanager", content=body)
            answer.raise_for_status()
            time.sleep(0.5)
            show(client, console)


def show(client: httpx.Client, console: Console) -> None:
    """Print the incidents and unmapped alerts as the API reports them."""
    table = Table(show_lines=True)
    for column in ("id", "state", "sev", "touchpoints", "why"):
        table.add_column(column)
    for incident in client.get("/api/v1/incidents").json():
        if incident["merged_into"] is not None:
            continue
        touchpoints = "\n".join(f"{k}: {v}" for k, v in sorted(incident["touchpoints"].items()))
        why = "\n".join(incident["explanation"][:4]) or incident["title"]
        table.add_row(
            str(incident["id"]), incident["state"], incident["severity"], touchpoints, why
        )
    console.print(table)
    unmapped = client.get("/api/v1/alerts/unmapped").json()
    if unmapped:
        names = ", ".join(sorted({a["name"] for a in unmapped}))
        console.print(f"Unmapped alerts (kept, not tied to the catalog): {names}")


def run_demo(settings: Settings, *, speed: float, once: bool, console: Console) -> None:
    """Serve the monitor, play the story, wait for the quiet period, then serve on or stop."""
    runtime = build_runtime(settings)
    try:
        with running_server(runtime, host=settings.host, port=settings.port) as url:
            console.print(
                f"Monitor API on {url} (database {settings.sqlalchemy_url()}, "
                f"catalog {settings.catalog_path})"
            )
            play(url=url, story=STORY, speed=speed, console=console)
            quiet = settings.resolve_quiet_seconds
            console.print(f"Waiting {quiet} s of quiet before incidents resolve by themselves…")
            time.sleep(quiet + 2)
            with httpx.Client(base_url=url, timeout=10) as client:
                show(client, console)
            if once:
                return
            console.print(f"Serving on {url}/api/v1/incidents; Ctrl-C to stop.")
            while True:
                time.sleep(3600)
    finally:
        runtime.close()
