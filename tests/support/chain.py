"""Processes of the whole chain that the other helpers do not start: the live simulator, a monitor
on a port chosen in advance, and an admin token.

Alertmanager needs the monitor's address in its configuration and the monitor
needs Prometheus's, so the monitor's port is picked before the programs start.
Plain Python (no pytest), like ``tests.support.processes``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.monitor_process import REPO, MonitorProcess, monitor_env, wait_until
from tests.support.processes import free_port, http_client

_STOP_TIMEOUT = 10.0


@dataclass
class SimProcess:
    """A running ``monitor sim run``: its /metrics address, files and process."""

    url: str
    port: int
    opdb_path: Path
    truth_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def truth(self) -> dict[str, Any]:
        """The ground truth the simulator wrote before replaying."""
        data: dict[str, Any] = json.loads(self.truth_path.read_text(encoding="utf-8"))
        return data

    def log(self) -> str:
        """Everything the simulator printed so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def sim_run(
    *, scenario: Path, workdir: Path, port: int, lead_minutes: int, speed: float = 1.0
) -> Iterator[SimProcess]:
    """Run ``monitor sim run`` on ``port`` until the block ends; ready once /metrics answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    sim = SimProcess(
        url=f"http://127.0.0.1:{port}",
        port=port,
        opdb_path=workdir / "opdb.sqlite",
        truth_path=workdir / "truth.json",
        log_path=workdir / "sim.log",
        process=_spawn(
            [
                *("sim", "run", "--scenario", str(scenario), "--port", str(port)),
                *("--db", str(workdir / "opdb.sqlite"), "--truth", str(workdir / "truth.json")),
                *("--speed", str(speed), "--lead", str(lead_minutes)),
            ],
            log_path=workdir / "sim.log",
            env=None,
        ),
    )
    try:
        deadline = time.monotonic() + 60
        with http_client(timeout=1.0) as client:
            while True:
                if sim.process.poll() is not None:
                    raise RuntimeError(f"monitor sim run exited:\n{sim.log()[-3000:]}")
                try:
                    if client.get(f"{sim.url}/metrics").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"monitor sim run never served /metrics:\n{sim.log()}")
                time.sleep(0.1)
        yield sim
    finally:
        _terminate(sim.process)


@contextmanager
def monitor_on_port(
    *, port: int, database_url: str, data_dir: Path, extra: Mapping[str, str]
) -> Iterator[MonitorProcess]:
    """``monitor serve`` on ``port`` for the block (SIGKILLed at the end); ready once /readyz is."""
    env = monitor_env(database_url=database_url, data_dir=data_dir, port=port, extra=extra)
    log_path = data_dir / f"serve-{port}.log"
    running = MonitorProcess(
        url=f"http://127.0.0.1:{port}",
        process=_spawn(["serve"], log_path=log_path, env=env),
        log_path=log_path,
    )
    try:
        wait_until(
            lambda: httpx.get(f"{running.url}/readyz", timeout=2).status_code == 200,
            timeout=60,
            alive=running,
            what="monitor serve to be ready",
        )
        yield running
    finally:
        running.kill()


def create_token(*, database_url: str, data_dir: Path, scopes: tuple[str, ...]) -> str:
    """Create an API token with ``monitor token create`` and return its secret."""
    env = monitor_env(database_url=database_url, data_dir=data_dir, port=free_port())
    args = [sys.executable, "-m", "monitor.cli", "token", "create", "--name", "whole-chain"]
    for scope in scopes:
        args += ["--scope", scope]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"monitor token create failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


def _spawn(
    args: list[str], *, log_path: Path, env: Mapping[str, str] | None
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", *args],
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
        )


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_TIMEOUT)
