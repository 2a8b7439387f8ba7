"""Requests per second of ``GET /api/v1/status`` against an empty endpoint served the same way.

Run as ``python -m bench.status [--quick] [--seconds S] [--rounds R] [--clients C]``.
The monitor runs as ``monitor serve`` (worker running) and the ceiling as
``bench.ceiling``'s constant ``GET /empty``, both under the same uvicorn
settings in their own processes; the load comes from a separate process with
keep-alive clients (``bench.load``'s own HTTP/1.1 client: with httpx the client
spent more CPU per request than either server and capped both near 800 req/s, so
the ratio read ~1 whatever the servers did). Each is measured quiet, then again
while another process posts a steady alert storm (10-alert webhooks) to the same
server, so the status read path is measured under concurrent ingest: once with
the worker in the serving process (``monitor serve`` alone), once with the
worker in a second process on the same database and the serving one an API
replica (``MONITOR_WORKER_ENABLED=false``).

A shared machine's speed drifts by more than the figures differ over a few
seconds, so the servers run side by side and are measured in turns, round
after round (ceiling, monitor, replica, then again); each round gives a ratio
against the ceiling measured just before, and the table shows the round with the median ratio.
Target: the status endpoint reaches at least 70% of the empty endpoint's rate.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from bench.common import (
    Row,
    Server,
    background_load,
    ceiling_serve,
    database,
    monitor_serve,
    report,
    run_load,
    webhook_bodies,
)

TARGET = 0.70
INGEST_WEBHOOKS_PER_S = 20.0
STATUS = "/api/v1/status"
INGEST = "/api/v1/ingest/alertmanager"


@dataclass
class Target:
    """One server measured in turns: where to read, where to post, what it gave."""

    label: str
    server: Server
    get: str
    post: str
    quiet: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)


def rate(url: str, *, seconds: float, clients: int) -> float:
    """Requests per second answered 2xx, measured from another process."""
    run_load(url, [], method="GET", concurrency=clients, seconds=0.5)
    result = run_load(url, [], method="GET", concurrency=clients, seconds=seconds)
    return result.ok / result.seconds


def measure(target: Target, *, seconds: float, clients: int, tag: str) -> None:
    """One turn: the quiet rate, then the rate under a steady storm posted to the same server."""
    url = f"{target.server.url}{target.get}"
    target.quiet.append(rate(url, seconds=seconds, clients=clients))
    bodies = webhook_bodies(count=int(INGEST_WEBHOOKS_PER_S * (seconds + 5)), per_body=10, tag=tag)
    post = f"{target.server.url}{target.post}"
    with background_load(post, bodies, concurrency=4, rate=INGEST_WEBHOOKS_PER_S):
        time.sleep(1.0)
        target.busy.append(rate(url, seconds=seconds, clients=clients))


@contextmanager
def servers() -> Iterator[tuple[Target, Target, Target]]:
    """The ceiling, ``monitor serve``, and an API replica with its worker in another process."""
    with ExitStack() as stack:
        db = stack.enter_context(database("sqlite"))
        ceiling = stack.enter_context(ceiling_serve(database_url=db))
        db = stack.enter_context(database("sqlite"))
        monitor = stack.enter_context(monitor_serve(database_url=db))
        db = stack.enter_context(database("sqlite"))
        replica = stack.enter_context(monitor_serve(database_url=db, worker_enabled="false"))
        stack.enter_context(monitor_serve(database_url=db))  # the replica's worker
        yield (
            Target("ceiling", ceiling, "/empty", "/ingest"),
            Target("monitor", monitor, STATUS, INGEST),
            Target("replica", replica, STATUS, INGEST),
        )


def ratios(values: list[float], ceilings: list[float]) -> float:
    """The median of the per-round ratios."""
    return statistics.median(v / c for v, c in zip(values, ceilings, strict=True))


def median_round(values: list[float], ceilings: list[float]) -> int:
    """The round whose ratio is the median one (rounds are odd in number)."""
    order = sorted(range(len(values)), key=lambda i: values[i] / ceilings[i])
    return order[len(order) // 2]


def main(argv: list[str] | None = None) -> int:
    """Measure every server in turns, quiet and under ingest; print the medians, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    rounds = args.rounds or (3 if args.quick else 5)
    if rounds % 2 == 0:
        parser.error("--rounds must be odd: the table shows the median round")
    with servers() as targets:
        ceiling, monitor, replica = targets
        for n in range(rounds):
            for target in targets:
                measure(target, seconds=seconds, clients=args.clients, tag=f"{target.label}{n}")
    rows = []
    for label, values, ceilings in (
        ("quiet", monitor.quiet, ceiling.quiet),
        ("under ingest", monitor.busy, ceiling.busy),
        ("under ingest, worker in its own process", replica.busy, ceiling.busy),
    ):
        i = median_round(values, ceilings)
        row = Row(
            f"GET /api/v1/status, {label}", values[i], "req/s", ceilings[i], f"ratio ≥ {TARGET}"
        )
        row.met = (row.ratio or 0) >= TARGET
        rows.append(row)
    title = (
        f"status read path: {args.clients} keep-alive clients in another process, "
        f"ingest {INGEST_WEBHOOKS_PER_S:.0f} x 10-alert webhooks/s alongside; the median of "
        f"{rounds} rounds of {seconds:.0f} s, servers measured in turns"
    )
    per_round = {
        "rounds": [
            {t.label: {"quiet": t.quiet[i], "under_ingest": t.busy[i]} for t in targets}
            for i in range(rounds)
        ],
        "median_ratios": {
            "quiet": ratios(monitor.quiet, ceiling.quiet),
            "under_ingest": ratios(monitor.busy, ceiling.busy),
            "replica_under_ingest": ratios(replica.busy, ceiling.busy),
        },
    }
    report("status", title, rows, extra=per_round)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
