"""Alert storm: how fast webhooks are accepted (durably) and processed.

Run as ``python -m bench.ingest [--requests N] [--alerts-per-request K] [--database-url URL]``.

The ceiling is measured in the same run: an empty FastAPI endpoint that reads
the same body, served by the same uvicorn on the same machine with the same
client load. The ratio says how much of the bare HTTP capacity is left once
every delivery is committed to the inbox before it is answered.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request

from monitor.bootstrap import build_runtime
from monitor.demo import running_server
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SERVICES = ["postgres", "card-auth", "idp", "rabbitmq", "ledger", "legacy-ftp", "booking-svc"]


def storm_bodies(*, requests: int, per_request: int) -> list[bytes]:
    """Webhook bodies with distinct alerts, as Alertmanager would send in a storm."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    bodies = []
    for r in range(requests):
        alerts = []
        for k in range(per_request):
            labels = {
                "alertname": f"StormAlert{k % 17}",
                "service": SERVICES[(r + k) % len(SERVICES)],
                "instance": f"host-{r}-{k}",
                "severity": "critical" if k % 3 == 0 else "warning",
            }
            alerts.append(
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {"summary": "storm"},
                    "startsAt": start.isoformat().replace("+00:00", "Z"),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph",
                    "fingerprint": labelset_fingerprint(labels),
                }
            )
        body = {
            "version": "4",
            "receiver": "monitor",
            "status": "firing",
            "groupKey": f"{{}}:{{storm{r}}}",
            "truncatedAlerts": 0,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": alerts,
        }
        bodies.append(json.dumps(body).encode())
    return bodies


def load(url: str, bodies: list[bytes], *, clients: int) -> tuple[float, list[float]]:
    """Post every body with ``clients`` concurrent clients; returns (seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def post(body: bytes) -> None:
        with httpx.Client(timeout=60) as client:
            began = time.perf_counter()
            answer = client.post(url, content=body, headers={"content-type": "application/json"})
            took = time.perf_counter() - began
            answer.raise_for_status()
            with lock:
                latencies.append(took)

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, bodies))
    return time.perf_counter() - began, latencies


@contextmanager
def empty_endpoint(port: int) -> Iterator[str]:
    """The ceiling: a FastAPI endpoint that reads the body and answers, nothing else."""
    app = FastAPI()

    @app.post("/ingest")
    async def ingest(request: Request) -> dict[str, bool]:
        await request.body()
        return {"ok": True}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/ingest"
    finally:
        server.should_exit = True
        thread.join(10)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, return 0 (the figures are read, not gated)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--alerts-per-request", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    bodies = storm_bodies(requests=args.requests, per_request=args.alerts_per_request)
    total_alerts = args.requests * args.alerts_per_request

    with empty_endpoint(18931) as url:
        load(url, bodies[:10], clients=args.clients)  # warm-up
        base_s, base_lat = load(url, bodies, clients=args.clients)

    data_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=args.database_url,
        catalog_path=REPO / "examples" / "catalog.yaml",
        worker_enabled=False,
        port=18932,
    )
    runtime = build_runtime(settings)
    with running_server(runtime, host="127.0.0.1", port=18932, start_worker=False) as base:
        took_s, lat = load(f"{base}/api/v1/ingest/alertmanager", bodies, clients=args.clients)
    began = time.perf_counter()
    while runtime.pipeline.process_pending(now=datetime.now(UTC), limit=50):
        pass
    drain_s = time.perf_counter() - began
    with runtime.store.unit_of_work() as uow:
        stored = uow.alerts.count()
        backlog = uow.inbox.backlog()
    runtime.close()

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    database = args.database_url or "SQLite (WAL)"
    print(
        f"alert storm: {args.requests} webhooks x {args.alerts_per_request} alerts, "
        f"{args.clients} concurrent clients, {database}"
    )
    print(f"{'figure':42} {'value':>12} {'ceiling':>12} {'ratio':>7}")
    rows = [
        ("webhooks accepted per second", args.requests / took_s, args.requests / base_s),
        ("alerts accepted per second", total_alerts / took_s, total_alerts / base_s),
    ]
    for name, value, ceiling in rows:
        print(f"{name:42} {value:12.1f} {ceiling:12.1f} {value / ceiling:7.2f}")
    print(
        f"{'accept latency p50 (ms)':42} {statistics.median(lat) * 1000:12.1f} "
        f"{statistics.median(base_lat) * 1000:12.1f}"
    )
    print(f"{'accept latency p99 (ms)':42} {p99(lat) * 1000:12.1f} {p99(base_lat) * 1000:12.1f}")
    print(f"{'alerts processed per second (worker)':42} {total_alerts / drain_s:12.1f}")
    print(f"stored occurrences {stored} of {total_alerts}; backlog after drain {backlog}")
    return 0 if stored == total_alerts and backlog == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
