"""Time to notify: from a webhook's arrival to the Slack API call for the new incident.

Run as ``python -m bench.notify [--quick] [--backends sqlite,postgresql]``.

``monitor serve`` (worker running, shipped playbooks) posts to the recording
Slack Web API server of ``tests/support/slack_server.py`` through the real
slack-sdk client. A probe is a one-alert webhook with an alert name never seen
before, so it opens a new incident whose announcement names it; the figure is
the time from posting the probe to the ``chat.postMessage`` that names it.
Probes are sent idle, then during a storm of 10,000 alerts a minute (10-alert
webhooks from a separate load process; the quick run keeps the rate and
shortens the storm). The ceiling is the Slack server's own round trip: a bare
``chat.postMessage`` from the same client library, measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from typing import Any

import httpx
from slack_sdk import WebClient

from bench.common import (
    Row,
    background_load,
    database,
    monitor_serve,
    percentile,
    postgres_available,
    report,
    webhook_bodies,
)
from monitor.ingest.fingerprint import labelset_fingerprint
from tests.support.slack_server import SlackServer, slack_server

STORM_ALERTS_PER_MINUTE = 10_000
P99_TARGET_S = 1.0


class Arrivals:
    """When each ``chat.postMessage`` reached the Slack server, by text."""

    def __init__(self, server: SlackServer) -> None:
        self.seen: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        original = server.handle

        def handle(
            method: str, params: dict[str, Any], headers: dict[str, str]
        ) -> tuple[int, dict[str, str], bytes]:
            if method == "chat.postMessage":
                with self._lock:
                    self.seen.append((time.perf_counter(), str(params.get("text", ""))))
            return original(method, params, headers)

        server.handle = handle  # type: ignore[method-assign]

    def find(self, needle: str) -> float | None:
        """When the first message containing ``needle`` arrived."""
        with self._lock:
            return next((at for at, text in self.seen if needle in text), None)


def probe_body(name: str) -> bytes:
    """One firing alert with a new alert name, as Alertmanager posts it."""
    import json

    labels = {"alertname": name, "service": "bench-probe", "severity": "critical"}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": "probe"},
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": labelset_fingerprint(labels),
    }
    body = {
        "version": "4",
        "receiver": "monitor",
        "status": "firing",
        "groupKey": f"{{}}:{{{name}}}",
        "truncatedAlerts": 0,
        "groupLabels": {},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [alert],
    }
    return json.dumps(body).encode()


def probes(url: str, arrivals: Arrivals, *, prefix: str, count: int, gap: float) -> list[float]:
    """Send ``count`` probes ``gap`` s apart; seconds from each post to its Slack call."""
    sent: dict[str, float] = {}
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            name = f"{prefix}Probe{i}x"
            sent[name] = time.perf_counter()
            # A probe not accepted is counted below as never announced.
            with contextlib.suppress(httpx.HTTPError):
                client.post(
                    url, content=probe_body(name), headers={"content-type": "application/json"}
                )
            time.sleep(gap)
    deadline = time.perf_counter() + 30
    delays: dict[str, float] = {}
    while len(delays) < len(sent) and time.perf_counter() < deadline:
        for name, at in sent.items():
            if name not in delays and (found := arrivals.find(f"{name}:")) is not None:
                delays[name] = found - at
        time.sleep(0.05)
    missing = len(sent) - len(delays)
    # A probe never announced counts as the whole wait: it must show in the p99.
    return sorted(delays.values()) + [30.0] * missing


def slack_round_trip(server: SlackServer, *, count: int) -> list[float]:
    """The ceiling: bare chat.postMessage round trips with the same client library."""
    client = WebClient(token="xoxb-bench", base_url=server.base_url)
    times = []
    for i in range(count):
        began = time.perf_counter()
        client.chat_postMessage(channel="#bench", text=f"ceiling {i}")
        times.append(time.perf_counter() - began)
    return times


def main(argv: list[str] | None = None) -> int:
    """Measure idle and storm, print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backends", default=None)
    args = parser.parse_args(argv)
    backends = (args.backends or ("sqlite" if args.quick else "sqlite,postgresql")).split(",")
    count = 8 if args.quick else 40
    storm_s = 15.0 if args.quick else 60.0
    rows: list[Row] = []
    for backend in backends:
        if backend == "postgresql" and not postgres_available():
            continue
        with slack_server() as slack, database(backend) as db:
            arrivals = Arrivals(slack)
            ceiling = slack_round_trip(slack, count=50)
            with monitor_serve(
                database_url=db, slack_token="xoxb-bench", slack_base_url=slack.base_url
            ) as server:
                url = f"{server.url}/api/v1/ingest/alertmanager"
                idle = probes(url, arrivals, prefix="Idle", count=count, gap=0.5)
                per_body = 10
                rate = STORM_ALERTS_PER_MINUTE / 60 / per_body
                bodies = webhook_bodies(count=int(rate * storm_s) + 50, per_body=per_body)
                with background_load(url, bodies, concurrency=8, rate=rate):
                    time.sleep(2.0)
                    storm = probes(
                        url, arrivals, prefix="Storm", count=count, gap=(storm_s - 4) / count
                    )
        for label, delays in (("idle", idle), ("storm 10,000 alerts/min", storm)):
            for q in (50, 99):
                target = f"< {P99_TARGET_S:.0f} s" if q == 99 and label != "idle" else ""
                value = percentile(delays, q)
                rows.append(
                    Row(
                        f"{backend}: time to notify p{q}, {label}",
                        value,
                        "s",
                        percentile(ceiling, q),
                        target,
                        (value < P99_TARGET_S) if target else None,
                        higher_is_better=False,
                        # a bare Slack round trip is milliseconds: the ratio informs, the
                        # target (p99 < 1 s in the storm) is the figure to read
                        check=False,
                    )
                )
    title = f"time to notify: {count} probes idle and during a storm ({storm_s:.0f} s)"
    report("notify", title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
