"""The load generator, run in its own process: keep-alive HTTP/1.1 clients on asyncio.

Run as ``python -m bench.load URL BODIES.jsonl [--concurrency C] [--rate R]
[--seconds S] [--loop] [--method GET|POST] [--client raw|httpx]``. Closed loop
by default (each of ``C`` clients sends its next request when the previous one
is answered); with ``--rate`` open loop (a request starts every ``1/R`` s
whatever the answers). Prints JSON: elapsed seconds, answers ok and failed,
per-request latencies and send times (seconds since the start).

The default client (``raw``) speaks HTTP/1.1 over asyncio streams itself
(keep-alive, ``Content-Length`` or chunked answers); ``--client httpx`` is kept
to compare. On a two-core machine the client shares the CPU with the server it
measures: httpx spends about as much CPU per request as the monitor's whole
accept path (2–3 ms here), the raw client a fifth of that, start-up included,
so the server, not the load, sets the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

Send = Callable[[bytes], Awaitable[bool]]


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

        async def via_httpx(body: bytes) -> bool:
            try:
                if args.method == "GET":
                    answer = await client.get(args.url)
                else:
                    answer = await client.post(args.url, content=body, headers=headers)
            except httpx.HTTPError:
                return False
            return answer.status_code < 300

        raw = RawPool(args.url, args.method, args.concurrency)
        send: Send = raw.send if args.client == "raw" else via_httpx

        async def one(body: bytes) -> None:
            nonlocal ok, failed
            began = time.perf_counter()
            good = await send(body)
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
        raw.close()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "ok": ok,
        "failed": failed,
        "latencies": latencies,
        "sent_at": sent_at,
    }


class RawPool:
    """At most ``size`` keep-alive HTTP/1.1 connections; a request waits for a free one."""

    def __init__(self, url: str, method: str, size: int) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._head = f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode()
        self._method = method
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._room = asyncio.Semaphore(size)
        self._open: list[asyncio.StreamWriter] = []

    async def send(self, body: bytes) -> bool:
        """One request on a pooled connection; True for a 2xx answer read in full."""
        async with self._room:
            if self._free.empty():
                try:
                    reader, writer = await asyncio.open_connection(self._host, self._port)
                except OSError:
                    return False
                self._open.append(writer)
            else:
                reader, writer = self._free.get_nowait()
            try:
                status, reusable = await self._exchange(reader, writer, body)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                return False
            if reusable:
                self._free.put_nowait((reader, writer))
            else:
                writer.close()
            return 200 <= status < 300

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
    ) -> tuple[int, bool]:
        if self._method == "GET":
            writer.write(self._head + b"\r\n")
        else:
            writer.write(
                self._head
                + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        if "content-length" in fields:
            await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        return status, fields.get("connection") != "close"

    def close(self) -> None:
        """Close every connection opened."""
        for writer in self._open:
            writer.close()


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
    parser.add_argument("--client", default="raw", choices=["raw", "httpx"])
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
