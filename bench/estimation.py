"""Estimation cost: ``monitor impact`` on a 6-hour incident over 8 weeks of history.

Run as ``python -m bench.estimation [--quick] [--customers N]``. The simulated
company (``examples/scenarios/bank-overdraft.yaml``, 8 weeks) is generated,
its metrics served by the Prometheus-compatible query API of ``monitor.sim``
(which counts the queries it answers), its operational database read from
SQLite. ``monitor impact`` runs as a subprocess for a 6-hour window ending at
the end of the history, for every touchpoint. The ceiling is the data alone:
the same queries replayed by a bare HTTP client against the same server, in
the same run; the ratio is the share of the command's time spent fetching.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import CATALOG, REPO, Row, report
from monitor.sim import query_server
from monitor.sim.generate import generate
from monitor.sim.scenario import load_scenario

SCENARIO = REPO / "examples" / "scenarios" / "bank-overdraft.yaml"
WINDOW = timedelta(hours=6)


class Recorder:
    """Every query the query server answered (path and parameters)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, dict[str, list[str]]]] = []
        self._lock = threading.Lock()
        original = query_server._Handler._answer

        def answer(handler: Any, params: dict[str, list[str]]) -> None:
            path = handler.path.split("?", 1)[0]
            if path.startswith("/api/v1/query"):
                with self._lock:
                    self.queries.append((path, params))
            original(handler, params)

        query_server._Handler._answer = answer  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Generate, serve, time ``monitor impact`` and the replay; print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--customers", type=int, default=None)
    args = parser.parse_args(argv)
    customers = args.customers or (2_000 if args.quick else 20_000)
    scenario = load_scenario(SCENARIO).with_changes(
        customers=customers, duration=timedelta(weeks=8)
    )
    out = Path(tempfile.mkdtemp(prefix="bench-estimation-"))
    try:
        started = time.perf_counter()
        manifest = generate(scenario, out)
        generated_s = time.perf_counter() - started
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        files = sorted(out.glob("**/*.om")) or sorted(out.glob("**/*.txt"))
        store = query_server.store_from_openmetrics(
            [out / f for f in manifest["metrics_files"]] if manifest.get("metrics_files") else files
        )
        recorder = Recorder()
        server = query_server.serve_query_api(store)
        url = server.url
        end = truth["end"]
        from datetime import datetime

        end_at = datetime.fromisoformat(end.replace("Z", "+00:00"))
        command = [
            sys.executable, "-m", "monitor.cli", "impact", "--catalog", str(CATALOG),
            "--start", (end_at - WINDOW).isoformat(), "--end", end_at.isoformat(),
            "--prometheus", url, "--odata-url", f"sqlite:///{out / 'opdb.sqlite'}", "--json",
        ]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        impact_s = time.perf_counter() - began
        if done.returncode != 0:
            print(done.stderr[-2000:])
            return 1
        queries = list(recorder.queries)
        began = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            for path, params in queries:
                client.post(f"{url}{path}", data={k: v[0] for k, v in params.items()})
        replay_s = time.perf_counter() - began
        server.close()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rows = [
        Row(
            "monitor impact, 6 h window, 8 weeks of history (wall)",
            impact_s,
            "s",
            replay_s,
            higher_is_better=False,
        ),
        Row("Prometheus queries issued", float(len(queries)), "queries"),
        Row("history generation (not part of the figure)", generated_s, "s"),
    ]
    rows[0].__dict__["check"] = False
    title = f"estimation cost: bank-overdraft, {customers:,} customers, 8 weeks"
    report("estimation", title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
