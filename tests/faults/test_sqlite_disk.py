"""A full disk and a read-only file system under SQLite, for real, on a small tmpfs.

The monitor's data directory is a tmpfs of a few megabytes that the test
fills with a file or remounts read-only while ``monitor serve`` runs. Mounting
needs root (as the test command runs); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from tests.support.monitor_process import MonitorProcess, alerts_processed, monitor, wait_until
from tests.support.payloads import storm_webhook

pytestmark = pytest.mark.slow


@contextmanager
def small_disk(path: Path, *, megabytes: int = 8) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``path`` for the block."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(path: Path) -> Path:
    """Write zeros into ``path/filler`` until the disk is full."""
    filler = path / "filler"
    block = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        while _wrote(out, block):
            pass
    return filler


def _wrote(out: BinaryIO, block: bytes) -> bool:
    try:
        out.write(block)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        return False
    return True


def _remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


class Poster:
    """Posts distinct bodies; remembers how many alerts were accepted (answered 200)."""

    def __init__(self, server: MonitorProcess) -> None:
        self.server = server
        self.sent = 0
        self.accepted = 0

    def post(self) -> httpx.Response:
        """Post the next body (four alerts)."""
        _, body = storm_webhook(self.sent, alerts=4)
        self.sent += 1
        response = httpx.post(
            f"{self.server.url}/api/v1/ingest/alertmanager", content=body, timeout=60
        )
        if response.status_code == 200:
            self.accepted += 4
        return response

    def until_refused(self, attempts: int = 200) -> httpx.Response:
        """Post until one is refused; a WAL with room left takes a few more first."""
        for _ in range(attempts):
            response = self.post()
            if response.status_code != 200:
                return response
        raise AssertionError(f"{attempts} bodies accepted with no room left on the disk")


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    error = response.json()["error"]
    assert error["code"] == "store_unavailable"
    return str(error["message"])


def _readiness(server: MonitorProcess) -> tuple[int, dict[str, str]]:
    response = httpx.get(f"{server.url}/readyz", timeout=30)
    return response.status_code, response.json()["checks"]


def test_a_full_disk_refuses_with_503_is_not_ready_and_recovers_losing_nothing(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'monitor.db'}"
        with monitor(database_url=url, data_dir=disk, wait_for="/readyz", log_dir=tmp_path) as srv:
            poster = Poster(srv)
            assert poster.post().status_code == 200
            wait_until(lambda: alerts_processed(srv) == 4, what="the first alerts", alive=srv)

            filler = _fill(disk)
            message = _refusal(poster.until_refused())
            status, checks = _readiness(srv)
            alive = httpx.get(f"{srv.url}/healthz", timeout=5)
            print(f"disk full: {message!r}; readyz {status} {checks}")
            assert "full" in message
            assert status == 503
            assert "full" in checks["writes"]
            assert alive.status_code == 200

            filler.unlink()
            wait_until(lambda: _readiness(srv)[0] == 200, what="readiness after space returns")
            assert poster.post().status_code == 200
            wait_until(
                lambda: alerts_processed(srv) == poster.accepted,
                what="every accepted alert to be processed",
                alive=srv,
            )
            print(f"accepted {poster.accepted} alerts in {poster.sent} posts; all processed")


def test_a_read_only_file_system_refuses_with_503_is_not_ready_and_recovers(
    tmp_path: Path,
) -> None:
    # Linux refuses to remount read-only while a file is open for writing, so the
    # monitor restarts onto the read-only disk, as after the kernel's
    # errors=remount-ro and a reboot.
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'monitor.db'}"
        with monitor(database_url=url, data_dir=disk, wait_for="/readyz", log_dir=tmp_path) as srv:
            first = Poster(srv)
            assert first.post().status_code == 200
            wait_until(lambda: alerts_processed(srv) == 4, what="the first alerts", alive=srv)
        _remount(disk, "ro")
        try:
            with monitor(database_url=url, data_dir=disk, log_dir=tmp_path) as srv:
                poster = Poster(srv)
                poster.sent = first.sent
                message = _refusal(poster.until_refused())
                status, checks = _readiness(srv)
                print(f"read-only: {message!r}; readyz {status} {checks}")
                assert "readonly" in message or "read-only" in message
                assert status == 503
                assert checks["writes"] != "ok"
                assert httpx.get(f"{srv.url}/api/v1/status", timeout=10).status_code == 200
                assert alerts_processed(srv) == 4

        finally:
            _remount(disk, "rw")
        # SQLite keeps a file it opened read-only so for as long as the process
        # has it open: making the disk writable takes a restart, which finds
        # everything accepted before the disk went read-only.
        with monitor(database_url=url, data_dir=disk, wait_for="/readyz", log_dir=tmp_path) as srv:
            poster.server = srv
            assert poster.post().status_code == 200
            wait_until(
                lambda: alerts_processed(srv) == first.accepted + poster.accepted,
                what="every accepted alert to be processed",
                alive=srv,
            )
