"""Resident memory of ``monitor serve`` after N and 2N alerts processed: does it grow with history?

Run as ``python -m bench.memory [--quick] [--alerts N] [--wave W]``. A
separate load process posts distinct alerts (100-alert webhooks) to
``monitor serve`` with its worker running, in waves: W alerts fire, then the
same W resolve, then the next W. History grows to N alerts (and the
incidents they opened, resolved after their quiet period) while no more
than two waves fire at once, which is how a long-lived monitor sees them (a
single storm of N alerts firing together is a different question, asked by
``bench.ingest`` and ``bench.notify``). Once the inbox has drained, the RSS
is read from /proc; then N more alerts, and again. The ceiling is the RSS of
the same server right after start-up, before any alert: the ratio says how
much of the footprint is the empty server's.
"""

from __future__ import annotations

import argparse
import json
import time

import httpx

from bench.common import Row, Server, database, monitor_serve, report, run_load

GROWTH_TARGET = 0.10
PER_BODY = 100
ALLOCATOR = {"PYTHONMALLOC": "malloc", "MALLOC_ARENA_MAX": "2"}
"""As ``docker/Dockerfile`` runs the server: memory freed after a wave can go back to the
system (``monitor.services.heap``); with Python's arenas it stays resident."""


def bodies(*, start: int, count: int, per_body: int) -> tuple[list[bytes], list[bytes]]:
    """Webhooks of distinct alerts ``start..start+count`` firing, and the same alerts resolved.

    Both come from one set of alerts: a resolved notification names the
    occurrence it ends by its ``startsAt``, so a resolved body built apart
    (with another start time) would end nothing and the alerts would fire on.
    """
    from bench.common import webhook_bodies

    firing = webhook_bodies(count=count // per_body, per_body=per_body, tag=f"m{start}")
    resolved = []
    for body in firing:
        data = json.loads(body)
        for alert in data["alerts"]:
            alert["status"] = "resolved"
            alert["endsAt"] = alert["startsAt"]
        data["status"] = "resolved"
        resolved.append(json.dumps(data).encode())
    return firing, resolved


def backlog(server: Server) -> float | None:
    """Webhooks waiting in the inbox, from the metrics page (None: no answer yet)."""
    try:
        text = httpx.get(f"{server.url}/metrics", timeout=30).text
    except httpx.HTTPError:
        return None  # the server is busy processing; ask again
    waiting = [ln for ln in text.splitlines() if ln.startswith("monitor_inbox_backlog")]
    return float(waiting[0].split()[-1]) if waiting else None


def drained(server: Server, *, timeout: float = 300) -> None:
    """Wait until the worker's inbox backlog metric reads zero."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if backlog(server) == 0:
            return
        time.sleep(0.5)
    # the RSS of a server still processing would say nothing about history
    raise RuntimeError(f"the inbox did not drain within {timeout:.0f} s")


def settled(server: Server, *, timeout: float = 60) -> None:
    """Wait until no component reads as failing: every alert of the round has resolved.

    Without this the figure could be the RSS of alerts still firing (a resolved
    notification that ended nothing), which is not history.
    """
    deadline = time.monotonic() + timeout
    failing: list[object] = []
    while time.monotonic() < deadline:
        answer = httpx.get(f"{server.url}/api/v1/components", timeout=30).json()
        failing = answer["components"]
        if not failing:
            return
        time.sleep(1.0)
    raise RuntimeError(f"{len(failing)} components still fail after every alert resolved")


def one_round(server: Server, *, start: int, n: int, wave: int) -> float:
    """Post N alerts in waves (fired, then resolved); return the seconds until processed."""
    url = f"{server.url}/api/v1/ingest/alertmanager"
    began = time.monotonic()
    for first in range(start, start + n, wave):
        size = min(wave, start + n - first)
        firing, resolved = bodies(start=first, count=size, per_body=PER_BODY)
        run_load(url, [*firing, *resolved], concurrency=2)
        # at most one wave waits while another is processed: measured is processing, not a queue
        while (waiting := backlog(server)) is None or waiting > 2 * size // PER_BODY:
            time.sleep(0.2)
    drained(server, timeout=max(300.0, 4 * n / 100))  # 100 alerts/s at the worst
    took = time.monotonic() - began
    settled(server)
    return took


def main(argv: list[str] | None = None) -> int:
    """Measure RSS at start, after N and after 2N alerts; print and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--alerts", type=int, default=None, help="N, alerts per round (500,000; 2,000 with --quick)"
    )
    parser.add_argument("--wave", type=int, default=None, help="W, alerts per wave (10,000 or N)")
    args = parser.parse_args(argv)
    n = args.alerts or (2_000 if args.quick else 500_000)
    wave = args.wave or min(n, 10_000)
    if n % PER_BODY or wave % PER_BODY:
        parser.error(f"--alerts and --wave must be multiples of {PER_BODY}")
    with database("sqlite") as db, monitor_serve(database_url=db, environment=ALLOCATOR) as server:
        time.sleep(1.0)
        base = server.rss_mb()
        rss: list[float] = []
        seconds: list[float] = []
        for round_ in range(2):
            seconds.append(one_round(server, start=round_ * n, n=n, wave=wave))
            rss.append(server.rss_mb())
    growth = (rss[1] - rss[0]) / rss[0]
    rate = 2 * n * 2 / sum(seconds)
    rows = [
        Row("RSS at start, no alert", base, "MB"),
        Row(
            f"RSS after {n:,} alerts (fired and resolved)",
            rss[0],
            "MB",
            base,
            higher_is_better=False,
        ),
        Row(f"RSS after {2 * n:,} alerts", rss[1], "MB", base, higher_is_better=False),
        Row(
            f"growth from {n:,} to {2 * n:,} alerts",
            growth * 100,
            "%",
            None,
            f"≤ {GROWTH_TARGET * 100:.0f}%",
            growth <= GROWTH_TARGET,
        ),
        Row(f"deliveries processed per second ({wave:,}-alert waves)", rate, "/s"),
    ]
    title = f"memory of monitor serve (SQLite, PYTHONMALLOC=malloc), {n:,} then {2 * n:,} alerts"
    report("memory", title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
