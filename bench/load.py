"""The load generator, run in its own process: asyncio + httpx keep-alive clients.

Run as ``python -m bench.load URL BODIES.jsonl [--concurrency C] [--rate R]
[--seconds S] [--loop] [--method GET|POST]``. Closed loop by default (each of
``C`` clients sends its next request when the previous one is answered);
with ``--rate`` open loop (a request starts every ``1/R`` s whatever the
answers). Prints JSON: elapsed seconds, answers ok and failed, per-request
latencies and send times (seconds since the start).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

import httpx


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    """Send the load and gather the figures."""
    bodies = [line for line in Path(args.bodies).read_bytes().split(b"\n") if line]
    if args.method == "GET" and not bodies:
        bodies = [b""]
    source = itertools.cycle(bodies) if args.loop or args.seconds else iter(bodies)
    latencies: list[float] = []
    sent_at: list[float] = []
    ok = failed = 0
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    headers = {"content-type": "application/json"}
    start = time.perf_counter()
    stop = start + args.seconds if args.seconds else float("inf")

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(body: bytes) -> None:
            nonlocal ok, failed
            began = time.perf_counter()
            try:
                if args.method == "GET":
                    answer = await client.get(args.url)
                else:
                    answer = await client.post(args.url, content=body, headers=headers)
                good = answer.status_code < 300
            except httpx.HTTPError:
                good = False
            took = time.perf_counter() - began
            if good:
                ok += 1
                latencies.append(took)
                sent_at.append(began - start)
            else:
                failed += 1

        if args.rate:
            tasks = []
            for n, body in enumerate(source):
                due = start + n / args.rate
                if due >= stop:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(one(body)))
            await asyncio.gather(*tasks)
        else:
            lock = asyncio.Lock()

            async def worker() -> None:
                while time.perf_counter() < stop:
                    async with lock:
                        body = next(source, None)
                    if body is None:
                        return
                    await one(body)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "ok": ok,
        "failed": failed,
        "latencies": latencies,
        "sent_at": sent_at,
    }


def main() -> None:
    """Parse the arguments, run, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("bodies")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--loop", action="store_true")
    parser.add_argument("--method", default="POST", choices=["GET", "POST"])
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
