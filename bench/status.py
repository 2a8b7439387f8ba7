"""Requests per second of ``GET /api/v1/status`` against an empty endpoint served the same way.

Run as ``python -m bench.status [--seconds S] [--clients C]``. Both apps run in
this process under uvicorn; the load comes from a separate process with
keep-alive clients, so the figure is the server's, not the client's. Target:
the status endpoint reaches at least 70% of the empty endpoint's rate.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from monitor.bootstrap import build_runtime
from monitor.demo import running_server
from monitor.domain import Alert, AlertStatus
from monitor.services.accept import accept_delivery
from monitor.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.70


def hammer(url: str, seconds: float, clients: int, out: multiprocessing.Queue[int]) -> None:
    """Issue GETs from ``clients`` threads for ``seconds``; put the count of 2xx answers."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(slot: int) -> None:
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < stop:
                if client.get(url).status_code == 200:
                    done[slot] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(sum(done))


def rate(url: str, *, seconds: float, clients: int) -> float:
    """Requests per second answered 200, measured from another process."""
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[int] = ctx.Queue()
    warm = ctx.Process(target=hammer, args=(url, 1.0, clients, queue))
    warm.start()
    queue.get()
    warm.join()
    proc = ctx.Process(target=hammer, args=(url, seconds, clients, queue))
    proc.start()
    count = queue.get()
    proc.join()
    return count / seconds


@contextmanager
def empty_app(port: int) -> Iterator[str]:
    """The ceiling: an async FastAPI GET endpoint returning a constant (as /status is async)."""
    app = FastAPI()

    @app.get("/empty")
    async def empty() -> dict[str, bool]:
        return {"ok": True}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/empty"
    finally:
        server.should_exit = True
        thread.join(10)


def main(argv: list[str] | None = None) -> int:
    """Measure both rates, print the ratio, exit 1 when under the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    with empty_app(18941) as url:
        ceiling = rate(url, seconds=args.seconds, clients=args.clients)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-status-")),
        catalog_path=REPO / "examples" / "catalog.yaml",
        require_auth=False,
    )
    runtime = build_runtime(settings)
    now = datetime.now(UTC)
    down = Alert(
        fingerprint="0123456789abcdef",
        source="events",
        status=AlertStatus.FIRING,
        labels={"alertname": "PostgresDown", "service": "postgres", "role": "primary"},
        annotations={},
        starts_at=now,
    )
    accept_delivery(
        runtime.store,
        source="events",
        body=b"{}",
        alerts=[down],
        rejected=[],
        received_at=now,
        endpoint="bench",
    )
    runtime.pipeline.process_pending(now=now)
    with running_server(runtime, host="127.0.0.1", port=18942, start_worker=False) as base:
        value = rate(f"{base}/api/v1/status", seconds=args.seconds, clients=args.clients)
    runtime.close()
    ratio = value / ceiling
    print(f"status endpoint throughput, {args.clients} keep-alive clients in another process")
    print(f"{'figure':36} {'value':>10} {'ceiling':>10} {'ratio':>7} {'target':>7}")
    name = "GET /api/v1/status (req/s)"
    print(f"{name:36} {value:10.1f} {ceiling:10.1f} {ratio:7.2f} {TARGET:7.2f}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
