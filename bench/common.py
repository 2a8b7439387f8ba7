"""Shared pieces of the benchmarks: servers in subprocesses, databases, load, tables, results.

Every server a benchmark measures runs in its own process (``monitor serve``
or the ceiling app under the same uvicorn settings); the load runs in yet
another process (``bench.load``), so the figures are the server's.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CATALOG = REPO / "examples" / "catalog.yaml"
POSTGRES_URL = os.environ.get(
    "MONITOR_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SERVICES = ["postgres", "card-auth", "idp", "rabbitmq", "ledger", "legacy-ftp", "booking-svc"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[min(998, int(q * 10) - 1)]


def postgres_available() -> bool:
    """Whether the benchmark PostgreSQL answers."""
    from sqlalchemy import text

    from monitor.store import create_store_engine

    try:
        engine = create_store_engine(POSTGRES_URL)
        with engine.connect() as c:
            c.execute(text("select 1"))
        engine.dispose()
    except Exception:
        return False
    return True


@contextmanager
def database(kind: str) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="bench-db-"))
        yield f"sqlite:///{directory / 'monitor.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from monitor.store import create_store_engine

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_store_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Server:
    """A server process listening on ``url``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def rss_mb(self) -> float:
        """Resident memory of the process now, in MB (from /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


@contextmanager
def spawn(command: list[str], *, env: dict[str, str], ready: str) -> Iterator[Server]:
    """Start ``command``; yield once ``ready`` answers; terminate it afterwards."""
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(ready, process, log)
        yield Server(url=_base(ready), process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def _base(url: str) -> str:
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.host}:{parts.port}"


@contextmanager
def monitor_serve(
    *, database_url: str, environment: Mapping[str, str] | None = None, **settings: Any
) -> Iterator[Server]:
    """``monitor serve`` on a free loopback port, configured by ``MONITOR_*`` variables.

    ``environment`` adds other variables (the allocator's, as the image sets them).
    """
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    env = {
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_CATALOG_PATH": str(CATALOG),
        "MONITOR_PORT": str(port),
        "MONITOR_REQUIRE_AUTH": "false",
        "MONITOR_LOG_LEVEL": "WARNING",
        # the load comes from one address: measure the pipeline, not the per-credential limit
        "MONITOR_INGEST_RATE_PER_SECOND": "0",
    }
    env |= {f"MONITOR_{k.upper()}": str(v) for k, v in settings.items()}
    env |= dict(environment or {})
    command = [sys.executable, "-m", "monitor.cli", "serve", "--host", "127.0.0.1"]
    with spawn(command, env=env, ready=f"http://127.0.0.1:{port}/healthz") as server:
        yield server


@contextmanager
def ceiling_serve(*, database_url: str) -> Iterator[Server]:
    """The ingest ceiling (``bench.ceiling``) on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "bench.ceiling", "--database-url", database_url]
    command += ["--port", str(port)]
    with spawn(command, env={}, ready=f"http://127.0.0.1:{port}/healthz") as server:
        yield server


def webhook_bodies(*, count: int, per_body: int, tag: str = "storm") -> list[bytes]:
    """Alertmanager v4 webhook bodies of distinct firing alerts, as a storm would send."""
    from monitor.ingest.fingerprint import labelset_fingerprint

    start = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    bodies = []
    for r in range(count):
        alerts = []
        for k in range(per_body):
            labels = {
                "alertname": f"StormAlert{k % 17}",
                "service": SERVICES[(r + k) % len(SERVICES)],
                "instance": f"{tag}-{r}-{k}",
                "severity": "critical" if k % 3 == 0 else "warning",
            }
            alerts.append(
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {"summary": "storm"},
                    "startsAt": start,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph",
                    "fingerprint": labelset_fingerprint(labels),
                }
            )
        body = {
            "version": "4",
            "receiver": "monitor",
            "status": "firing",
            "groupKey": f"{{}}:{{{tag}{r}}}",
            "truncatedAlerts": 0,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": alerts,
        }
        bodies.append(json.dumps(body).encode())
    return bodies


@dataclass
class LoadResult:
    """What the load process measured."""

    seconds: float
    ok: int
    failed: int
    latencies: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)


def run_load(
    url: str,
    bodies: list[bytes],
    *,
    concurrency: int = 8,
    rate: float | None = None,
    method: str = "POST",
    seconds: float | None = None,
    client: str = "raw",
) -> LoadResult:
    """Run ``bench.load`` in another process against ``url`` and return its measurements."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        path = Path(tmp) / "bodies.jsonl"
        path.write_bytes(b"\n".join(bodies) + b"\n")
        command = [sys.executable, "-m", "bench.load", url, str(path), "--method", method]
        command += ["--concurrency", str(concurrency), "--client", client]
        if rate is not None:
            command += ["--rate", str(rate)]
        if seconds is not None:
            command += ["--seconds", str(seconds)]
        done = subprocess.run(command, cwd=REPO, capture_output=True, check=True)
    data = json.loads(done.stdout)
    return LoadResult(**data)


@contextmanager
def background_load(
    url: str,
    bodies: list[bytes],
    *,
    concurrency: int = 2,
    rate: float | None = None,
    client: str = "raw",
) -> Iterator[subprocess.Popen[bytes]]:
    """``bench.load`` running in another process while the block runs; stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        path = Path(tmp) / "bodies.jsonl"
        path.write_bytes(b"\n".join(bodies) + b"\n")
        command = [sys.executable, "-m", "bench.load", url, str(path)]
        command += ["--concurrency", str(concurrency), "--loop", "--client", client]
        if rate is not None:
            command += ["--rate", str(rate)]
        process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(15)


@dataclass
class Row:
    """One line of a result table: a figure, its value, the ceiling and the target."""

    figure: str
    value: float
    unit: str = ""
    ceiling: float | None = None
    target: str = ""
    met: bool | None = None
    higher_is_better: bool = True
    check: bool = True
    """Whether ``bench/run --check`` bounds this row's ratio (False: the ratio only informs)."""

    @property
    def ratio(self) -> float | None:
        """value/ceiling when more is better, ceiling/value otherwise."""
        if self.ceiling is None or not self.value or not self.ceiling:
            return None
        return self.value / self.ceiling if self.higher_is_better else self.ceiling / self.value


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def report(name: str, title: str, rows: list[Row], *, extra: dict[str, Any] | None = None) -> Path:
    """Print the table and write ``bench/results/<name>.json``; returns the JSON path."""
    print(f"\n== {title}")
    header = f"{'figure':58} {'value':>12} {'unit':8} {'ceiling':>12} {'ratio':>6}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = "–" if r.ratio is None else f"{r.ratio:.2f}"
        verdict = "" if r.met is None else (" (met)" if r.met else " (MISSED)")
        print(
            f"{r.figure:58} {_fmt(r.value):>12} {r.unit:8} {_fmt(r.ceiling):>12} {ratio:>6}  "
            f"{r.target}{verdict}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "title": title,
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "rows": [{**r.__dict__, "ratio": r.ratio} for r in rows],
        **(extra or {}),
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "os": platform.platform(),
    }


def _postgres_version() -> str:
    try:
        from sqlalchemy import text

        from monitor.store import create_store_engine

        engine = create_store_engine(POSTGRES_URL)
        with engine.connect() as c:
            version = str(c.execute(text("show server_version")).scalar())
        engine.dispose()
        return version
    except Exception:
        return "unavailable"
