"""Freed memory is handed back at most once per interval, where the C library can."""

from __future__ import annotations

import platform

import pytest

from monitor.services.heap import HeapTrimmer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trims_at_most_once_per_interval_on_glibc() -> None:
    clock = Clock()
    heap = HeapTrimmer(every=30.0, clock=clock)
    assert heap.available
    assert heap.maybe_trim()
    clock.now += 29.0
    assert not heap.maybe_trim()
    clock.now += 1.0
    assert heap.maybe_trim()
