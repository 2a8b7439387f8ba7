"""Requests per second of ``GET /api/v1/status`` against an empty endpoint served the same way.

Run as ``python -m bench.status [--quick] [--seconds S] [--clients C]``. The
monitor runs as ``monitor serve`` (worker running) and the ceiling as
``bench.ceiling``'s constant ``GET /empty``, both under the same uvicorn
settings in their own processes; the load comes from a separate process with
keep-alive clients. Each is measured quiet, then again while another process
posts a steady alert storm (10-alert webhooks) to the same server, so the
status read path is measured under concurrent ingest: once with the worker in
the serving process (``monitor serve`` alone), once with the worker in a
second process on the same database and the serving one an API replica
(``MONITOR_WORKER_ENABLED=false``). Target: the status endpoint reaches at
least 70% of the empty endpoint's rate.
"""

from __future__ import annotations

import argparse
import time

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


def rate(url: str, *, seconds: float, clients: int) -> float:
    """Requests per second answered 2xx, measured from another process."""
    run_load(url, [], method="GET", concurrency=clients, seconds=1.0)
    result = run_load(url, [], method="GET", concurrency=clients, seconds=seconds)
    return result.ok / result.seconds


def both(
    server: Server, get: str, post: str, *, seconds: float, clients: int
) -> tuple[float, float]:
    """(quiet rate, rate under concurrent ingest) of ``get``."""
    quiet = rate(f"{server.url}{get}", seconds=seconds, clients=clients)
    bodies = webhook_bodies(count=int(INGEST_WEBHOOKS_PER_S * (seconds + 10)), per_body=10)
    with background_load(f"{server.url}{post}", bodies, concurrency=4, rate=INGEST_WEBHOOKS_PER_S):
        time.sleep(1.0)
        busy = rate(f"{server.url}{get}", seconds=seconds, clients=clients)
    return quiet, busy


def main(argv: list[str] | None = None) -> int:
    """Measure both rates quiet and under ingest; print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    with database("sqlite") as db, ceiling_serve(database_url=db) as server:
        ceiling = both(server, "/empty", "/ingest", seconds=seconds, clients=args.clients)
    with database("sqlite") as db, monitor_serve(database_url=db) as server:
        value = both(
            server,
            "/api/v1/status",
            "/api/v1/ingest/alertmanager",
            seconds=seconds,
            clients=args.clients,
        )
    # The same, with the worker in a second process on the same database (an API
    # replica with MONITOR_WORKER_ENABLED=false in front, as README's scale-out shows).
    with (
        database("sqlite") as db,
        monitor_serve(database_url=db, worker_enabled="false") as api,
        monitor_serve(database_url=db),
    ):
        replica = both(
            api,
            "/api/v1/status",
            "/api/v1/ingest/alertmanager",
            seconds=seconds,
            clients=args.clients,
        )
    rows = []
    for label, v, c in (
        ("quiet", value[0], ceiling[0]),
        ("under ingest", value[1], ceiling[1]),
        ("under ingest, worker in its own process", replica[1], ceiling[1]),
    ):
        row = Row(f"GET /api/v1/status, {label}", v, "req/s", c, f"ratio ≥ {TARGET}")
        row.met = (row.ratio or 0) >= TARGET
        rows.append(row)
    title = (
        f"status read path: {args.clients} keep-alive clients in another process, "
        f"ingest {INGEST_WEBHOOKS_PER_S:.0f} x 10-alert webhooks/s alongside"
    )
    report("status", title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
