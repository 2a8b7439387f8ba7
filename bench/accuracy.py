"""Accuracy of ``monitor impact`` against the simulator's ground truth.

Run as ``python -m bench.accuracy [--quick] [--work DIR] [--scenarios DIR]``.
For every scenario it generates the history, backfills it into a real
Prometheus with ``promtool``, and runs the ``monitor impact`` command (the
same one people use; it reads Prometheus and the operational database,
never ``truth.json``) over each fault's window. It prints, per scenario and
touchpoint: truth, estimate, interval and error; then the median absolute
percentage error, the 90%-interval coverage and the mean interval width
relative to the truth on the final estimates; placebo windows (the same
world a day away from any fault, where the truth is zero); and the live
estimate five minutes into each incident, compared with the truth of the
same world whose faults stop at that moment.

Targets: median error ≤ 10%, coverage 85–95%, live error ≤ 25%.
``--quick`` runs three scenarios with 10,000 customers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from statistics import mean, median
from typing import Any

import requests

from monitor.sim.generate import generate, simulate
from monitor.sim.scenario import Scenario, ScenarioSpec, load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "examples" / "scenarios"
CATALOG = REPO / "examples" / "catalog.yaml"
QUICK = ("monday-9am", "regional-partition", "bank-overdraft")
LIVE_AFTER = timedelta(minutes=5)
MIN_TRUTH_LIVE = 10
"""Live cells whose truth at five minutes is below this are listed but not scored."""
TARGET_MEDIAN, TARGET_LIVE = 0.10, 0.25
TARGET_COVERAGE = (0.85, 0.95)


@dataclass(frozen=True)
class Row:
    """One compared figure."""

    scenario: str
    window: str
    touchpoint: str
    truth: int
    estimate: int | None
    """None when ``monitor impact`` said the figure is unknown (``null``): scored as a miss."""
    low: int = 0
    high: int = 0

    @property
    def error(self) -> float:
        if self.estimate is None:
            return 1.0
        return abs(self.estimate - self.truth) / self.truth if self.truth else float(self.estimate)

    @property
    def covered(self) -> bool:
        return self.estimate is not None and self.low <= self.truth <= self.high

    def line(self) -> str:
        err = f"{self.error:6.1%}" if self.truth else "   n/a"
        mark = "" if self.covered else "  MISS"
        if self.estimate is None:
            shown = f"{'unknown':>7} [{'':7}  {'':7}]"
        else:
            shown = f"{self.estimate:7} [{self.low:7}, {self.high:7}]"
        return (
            f"{self.scenario:20} {self.window:22} {self.touchpoint:24} {self.truth:7} "
            f"{shown} {err}{mark}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run every scenario, print the tables and the summary; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--work", type=Path, help="keep worlds here (reused when present)")
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS)
    args = parser.parse_args(argv)
    files = sorted(args.scenarios.glob("*.yaml"))
    if args.quick:
        files = [f for f in files if f.stem in QUICK]
    work = args.work or Path(tempfile.mkdtemp(prefix="accuracy-"))
    started = time.perf_counter()
    final: list[Row] = []
    placebo: list[Row] = []
    live: list[Row] = []
    try:
        for path in files:
            scenario = load_scenario(path)
            if args.quick:
                scenario = scenario.with_changes(customers=10_000)
            f, p, lv = run_scenario(scenario, work / path.stem)
            final += f
            placebo += p
            live += lv
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    ok = report(final, placebo, live)
    print(f"\n{len(files)} scenarios in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


def run_scenario(scenario: Scenario, out: Path) -> tuple[list[Row], list[Row], list[Row]]:
    """Generate (or reuse), backfill, serve, and compare every fault window of one scenario."""
    name = scenario.spec.name
    if not (out / "truth.json").exists():
        generate(scenario, out)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    tsdb = backfill(out)
    odb = f"sqlite:///{out / 'opdb.sqlite'}"
    final: list[Row] = []
    placebo: list[Row] = []
    live: list[Row] = []
    with prometheus(tsdb) as url:
        for fault in truth["faults"]:
            start, end = _t(fault["start"]), _t(fault["end"])
            answer = impact(url, odb, start, end)
            for tp, cell in truth["incidents"].get(fault["id"], {}).items():
                if not cell["affected_customers"]:
                    continue
                final.append(_row(name, fault["id"], tp, len(cell["affected_customers"]), answer))
            quiet = placebo_window(truth, start, end)
            if quiet is not None:
                answer = impact(url, odb, *quiet)
                label = f"placebo {quiet[0]:%m-%d %H:%M}"
                placebo += [_row(name, label, tp["id"], 0, answer) for tp in answer["touchpoints"]]
            live += live_rows(scenario, url, odb, fault)
    return final, placebo, live


def live_rows(scenario: Scenario, url: str, odb: str, fault: dict[str, Any]) -> list[Row]:
    """The estimate five minutes in, against the truth of the world cut at that moment."""
    start = _t(fault["start"])
    now = start + LIVE_AFTER
    answer = impact(url, odb, start, now, live=True)
    cut = truncated(scenario, at=now - scenario.start)
    cells = cut["incidents"].get(fault["id"], {})
    rows = []
    for tp, cell in cells.items():
        if cell["affected_customers"]:
            label = f"{fault['id']} @5m"
            rows.append(
                _row(scenario.spec.name, label, tp, len(cell["affected_customers"]), answer)
            )
    return rows


def truncated(scenario: Scenario, *, at: timedelta) -> dict[str, Any]:
    """Truth of the same world with every fault stopped at ``at`` (later faults never start)."""
    data = scenario.spec.model_dump()
    faults = []
    for f in data["faults"]:
        if f["at"] >= at:
            continue
        cut = min(f["duration"], at - f["at"])
        if f.get("ramp") and f.get("latency_ms"):
            # Same slope: a ramp cut short must not reach its full height sooner.
            f["latency_ms"] = f["latency_ms"] * (cut / f["duration"])
        f["duration"] = cut
        faults.append(f)
    data["faults"] = faults
    spec = ScenarioSpec.model_validate(data)
    return simulate(Scenario(spec, scenario.catalog, source=scenario.source)).truth


def placebo_window(
    truth: dict[str, Any], start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """The fault's window a day earlier (or later), when no fault touches it or the day around."""
    faults = [(_t(f["start"]), _t(f["end"])) for f in truth["faults"]]
    first, last = _t(truth["start"]), _t(truth["end"])
    for shift in (timedelta(days=-1), timedelta(days=1), timedelta(days=-2), timedelta(days=2)):
        s, e = start + shift, end + shift
        margin = timedelta(hours=6)
        clear = all(e + margin <= fs or s - margin >= fe for fs, fe in faults)
        if clear and s >= first + timedelta(days=7) and e <= last:
            return s, e
    return None


def impact(url: str, odb: str, start: datetime, end: datetime, *, live: bool = False) -> Any:
    """The ``monitor impact`` command's JSON for all touchpoints."""
    command = [
        sys.executable, "-m", "monitor.cli", "impact", "--catalog", str(CATALOG),
        "--start", start.isoformat(), "--end", end.isoformat(),
        "--prometheus", url, "--odata-url", odb, "--json",
    ]  # fmt: skip
    if live:
        command.append("--live")
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"monitor impact failed: {done.stderr}")
    return json.loads(done.stdout)


def _row(scenario: str, window: str, tp: str, truth: int, answer: Any) -> Row:
    found = next(t for t in answer["touchpoints"] if t["id"] == tp)
    a = found["affected_customers"]
    if a is None:
        return Row(scenario, window, tp, truth, None)
    return Row(scenario, window, tp, truth, a["estimate"], a["low"], a["high"])


def backfill(world: Path) -> Path:
    """promtool blocks of the world's OpenMetrics files (kept next to them)."""
    tsdb = world / "tsdb"
    marker = tsdb / ".complete"
    if marker.exists():
        return tsdb
    shutil.rmtree(tsdb, ignore_errors=True)
    files = sorted((world / "metrics").glob("*.om"))

    def one(index_file: tuple[int, Path]) -> None:
        index, path = index_file
        part = world / f"tsdb-part-{index}"
        done = subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", str(path), str(part)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, enumerate(files)))
    tsdb.mkdir()
    for part in sorted(world.glob("tsdb-part-*")):
        for block in part.iterdir():
            if block.is_dir():
                block.rename(tsdb / block.name)
        shutil.rmtree(part)
    marker.touch()
    return tsdb


@contextmanager
def prometheus(tsdb: Path) -> Iterator[str]:
    """A real Prometheus serving the backfilled blocks on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tsdb.parent / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")
    proc = subprocess.Popen(
        [
            "prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("Prometheus did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def report(final: list[Row], placebo: list[Row], live: list[Row]) -> bool:
    """Print the tables and the summary; True when every target is met."""
    header = (
        f"{'scenario':20} {'window':22} {'touchpoint':24} {'truth':>7} {'est':>7} "
        f"{'90% interval':>18} {'error':>6}"
    )
    print("final estimates (affected customers)\n" + header)
    for row in final:
        print(row.line())
    errors = [r.error for r in final]
    coverage = sum(r.covered for r in final) / max(1, len(final))
    known = [r for r in final if r.estimate is not None]
    width = mean((r.high - r.low) / r.truth for r in known) if known else 0.0
    med = median(errors) if errors else 0.0
    print("\nplacebo windows (truth 0)")
    for row in placebo:
        if row.estimate != 0 or row.low:
            print(row.line())
    placebo_ok = sum(r.estimate is not None and r.low == 0 for r in placebo)
    placebo_max = max((r.estimate or 0 for r in placebo), default=0)
    print("\nlive, five minutes in\n" + header)
    for row in live:
        print(row.line() + ("" if row.truth >= MIN_TRUTH_LIVE else "  (not scored: small)"))
    scored = [r.error for r in live if r.truth >= MIN_TRUTH_LIVE]
    live_med = median(scored) if scored else 0.0
    print(
        f"\nsummary: {len(final)} final cells; median error {med:.1%} "
        f"(target ≤ {TARGET_MEDIAN:.0%}); "
        f"coverage {coverage:.0%} (target {TARGET_COVERAGE[0]:.0%}–{TARGET_COVERAGE[1]:.0%}); "
        f"mean interval width {width:.0%} of the truth"
    )
    print(
        f"placebo: {placebo_ok}/{len(placebo)} intervals contain 0; largest estimate {placebo_max}"
    )
    print(
        f"live at 5 min: median error {live_med:.1%} over {len(scored)} cells "
        f"(target ≤ {TARGET_LIVE:.0%})"
    )
    return (
        med <= TARGET_MEDIAN
        and TARGET_COVERAGE[0] <= coverage <= TARGET_COVERAGE[1]
        and placebo_ok == len(placebo)
        and live_med <= TARGET_LIVE
    )


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


if __name__ == "__main__":
    sys.exit(main())
