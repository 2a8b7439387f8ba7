"""Resident memory of ``monitor serve`` after N and 2N alerts processed: does it grow with history?

Run as ``python -m bench.memory [--quick] [--alerts N]``. A separate load
process posts N distinct alerts (100-alert webhooks, firing then resolved)
to ``monitor serve`` (worker running); once the inbox is drained, the RSS is
read from /proc; then N more, and again. The ceiling is the RSS of the same
server right after start-up, before any alert: the ratio says how much of
the footprint is the empty server's.
"""

from __future__ import annotations

import argparse
import json
import time

import httpx

from bench.common import Row, Server, database, monitor_serve, report, run_load

GROWTH_TARGET = 0.10


def bodies(*, start: int, count: int, per_body: int, status: str) -> list[bytes]:
    """Webhooks of distinct alerts ``start..start+count`` in ``status``."""
    from bench.common import webhook_bodies

    out = []
    for body in webhook_bodies(count=count // per_body, per_body=per_body, tag=f"m{start}"):
        data = json.loads(body)
        for alert in data["alerts"]:
            alert["status"] = status
            if status == "resolved":
                alert["endsAt"] = alert["startsAt"]
        data["status"] = status
        out.append(json.dumps(data).encode())
    return out


def drained(server: Server, *, timeout: float = 300) -> None:
    """Wait until the worker's inbox backlog metric reads zero."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = httpx.get(f"{server.url}/metrics", timeout=30).text
        except httpx.HTTPError:
            continue  # the server is busy processing; ask again
        backlog = [ln for ln in text.splitlines() if ln.startswith("monitor_inbox_backlog")]
        if backlog and float(backlog[0].split()[-1]) == 0:
            return
        if not backlog:
            time.sleep(5)
            return
        time.sleep(0.5)
    # the RSS of a server still processing would say nothing about history
    raise RuntimeError(f"the inbox did not drain within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    """Measure RSS at start, after N and after 2N alerts; print and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--alerts", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.alerts or (2_000 if args.quick else 20_000)
    url_path = "/api/v1/ingest/alertmanager"
    with database("sqlite") as db, monitor_serve(database_url=db) as server:
        time.sleep(1.0)
        base = server.rss_mb()
        rss = []
        for round_ in range(2):
            for status in ("firing", "resolved"):
                run_load(
                    f"{server.url}{url_path}",
                    bodies(start=round_ * n, count=n, per_body=100, status=status),
                    concurrency=2,
                )
            drained(server, timeout=max(300.0, 4 * n / 100))  # 100 alerts/s at the worst
            rss.append(server.rss_mb())
    growth = (rss[1] - rss[0]) / rss[0]
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
    ]
    report("memory", f"memory of monitor serve (SQLite), {n:,} then {2 * n:,} alerts", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
