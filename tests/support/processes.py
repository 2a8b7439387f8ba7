"""Start the real Prometheus and Alertmanager binaries, and a webhook receiver.

End-to-end tests and the payload capture script run the programs the monitor
talks to in production rather than imitations, on free loopback ports with
their own temporary directories, and stop them afterwards. The binaries come
from Debian's ``prometheus`` and ``prometheus-alertmanager`` packages.

Everything here is plain Python (context managers), usable outside pytest;
``tests.support.fixtures`` wraps it as fixtures.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"
_PACKAGES = {PROMETHEUS: "prometheus", ALERTMANAGER: "prometheus-alertmanager"}
_READY_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0
_START_ATTEMPTS = 3


class MissingProgramError(RuntimeError):
    """A required binary is not installed; the message names the package."""


class ProgramFailedError(RuntimeError):
    """A program exited or never became ready; the message ends with its log."""


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_program(name: str) -> str:
    """Return the path of ``name`` or raise MissingProgramError saying what to install."""
    path = shutil.which(name)
    if path is None:
        package = _PACKAGES.get(name, name)
        raise MissingProgramError(
            f"{name} is not on PATH; install Debian's package: apt-get install -y {package}"
        )
    return path


def program_version(name: str) -> str:
    """Return the first line of ``name --version`` (e.g. ``alertmanager, version 0.25.0 …``)."""
    done = subprocess.run(
        [require_program(name), "--version"], capture_output=True, text=True, check=False
    )
    return (done.stdout or done.stderr).splitlines()[0].strip()


@dataclass
class RunningProgram:
    """A started program: where it listens, its files, its process."""

    name: str
    url: str
    workdir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        """The end of the program's output, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def http_client(timeout: float = 5.0) -> httpx.Client:
    """An HTTP client for loopback servers that ignores proxy settings of the environment."""
    return httpx.Client(timeout=timeout, trust_env=False)


@contextmanager
def run_prometheus(
    workdir: Path,
    *,
    rule_files: Sequence[Path] = (),
    scrape_configs: Sequence[Mapping[str, Any]] = (),
    interval: str = "1s",
    extra_args: Sequence[str] = (),
    alertmanagers: Sequence[str] = (),
) -> Iterator[RunningProgram]:
    """Run Prometheus evaluating ``rule_files`` every ``interval`` until the block ends.

    The lifecycle API is on, so a test can rewrite a rule file and call
    :func:`reload_prometheus`. Alerts go to ``alertmanagers`` (base URLs), if any.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "prometheus.yml"
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(Path(p).resolve()) for p in rule_files],
        "scrape_configs": [dict(c) for c in scrape_configs],
    }
    if alertmanagers:
        targets = [url.split("://", 1)[-1].rstrip("/") for url in alertmanagers]
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    def argv(port: int) -> list[str]:
        return [
            require_program(PROMETHEUS),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            *extra_args,
        ]

    with _run(PROMETHEUS, workdir=workdir, argv=argv) as program:
        yield program


def reload_prometheus(program: RunningProgram) -> None:
    """Make Prometheus re-read its configuration and rule files now."""
    with http_client() as client:
        client.post(f"{program.url}/-/reload").raise_for_status()


@contextmanager
def run_alertmanager(
    workdir: Path, *, config: Mapping[str, Any], extra_args: Sequence[str] = ()
) -> Iterator[RunningProgram]:
    """Run a single Alertmanager (clustering off) with ``config`` until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))

    def argv(port: int) -> list[str]:
        return [
            require_program(ALERTMANAGER),
            f"--config.file={config_path}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            *extra_args,
        ]

    with _run(ALERTMANAGER, workdir=workdir, argv=argv) as program:
        yield program


@contextmanager
def _run(name: str, *, workdir: Path, argv: Callable[[int], list[str]]) -> Iterator[RunningProgram]:
    require_program(name)
    program = None
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        program = _start(
            name, workdir=workdir, argv=argv(port), url=f"http://127.0.0.1:{port}", attempt=attempt
        )
        try:
            _wait_ready(program)
            break
        except ProgramFailedError:
            _stop(program)
            # Another process may have taken the port between probing and binding.
            if "address already in use" not in program.log_tail() or attempt == _START_ATTEMPTS:
                raise
    assert program is not None
    try:
        yield program
    finally:
        _stop(program)


def _start(name: str, *, workdir: Path, argv: list[str], url: str, attempt: int) -> RunningProgram:
    log_path = workdir / f"{name}.{attempt}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir
        )
    return RunningProgram(
        name=name,
        url=url,
        workdir=workdir,
        log_path=log_path,
        process=process,
    )


def _wait_ready(program: RunningProgram, timeout: float = _READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    with http_client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if program.process.poll() is not None:
                raise ProgramFailedError(
                    f"{program.name} exited with {program.process.returncode}:\n"
                    f"{program.log_tail()}"
                )
            try:
                if client.get(f"{program.url}/-/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise ProgramFailedError(
        f"{program.name} not ready at {program.url} after {timeout:.0f}s:\n{program.log_tail()}"
    )


def _stop(program: RunningProgram) -> None:
    if program.process.poll() is not None:
        return
    program.process.terminate()
    try:
        program.process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        program.process.kill()
        program.process.wait(timeout=_STOP_TIMEOUT)


@dataclass(frozen=True)
class ReceivedRequest:
    """One POST as the receiver got it: the body is the raw bytes, untouched."""

    path: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float


@dataclass
class WebhookReceiver:
    """A loopback HTTP server that records every POST, for Alertmanager to deliver to."""

    url: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, request: ReceivedRequest) -> None:
        """Store a request and wake up waiters."""
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def wait_for(
        self, predicate: Callable[[ReceivedRequest], bool], *, timeout: float = 20.0
    ) -> ReceivedRequest:
        """Return the first recorded request matching ``predicate``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no matching request within {timeout:.0f}s ({len(self.requests)} received)"
                    )
                self._changed.wait(remaining)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """Serve a recording webhook receiver on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    host, port = server.server_address[0], server.server_address[1]
    receiver = WebhookReceiver(url=f"http://{host!s}:{port}")
    server.receiver = receiver  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver: WebhookReceiver = self.server.receiver  # type: ignore[attr-defined]
        receiver.record(
            ReceivedRequest(
                path=self.path,
                headers=dict(self.headers.items()),
                body=body,
                received_at=time.time(),
            )
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; the recorded requests are the log."""
