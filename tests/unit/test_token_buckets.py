"""The ingest limiter's token buckets: burst, refill, separate keys, bounded memory, threads."""

from __future__ import annotations

import threading

import pytest

from monitor.api.ratelimit import TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_the_burst_through_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.25
    assert buckets.take("a") == pytest.approx(0.25)  # a refused request spends nothing
    clock.now += 0.25
    assert buckets.take("a") == 0.0
    clock.now += 60
    assert [buckets.take("a") for _ in range(4)][-1] > 0  # refills to the burst, not beyond


def test_keys_do_not_share_a_bucket_and_rate_zero_means_no_limit() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, clock=FakeClock())
    assert buckets.take("token:1") == 0.0
    assert buckets.take("token:1") > 0
    assert buckets.take("token:2") == 0.0
    unlimited = TokenBuckets(rate=0.0, burst=1)
    assert all(unlimited.take("x") == 0.0 for _ in range(1000))
    assert len(unlimited) == 0


def test_memory_is_bounded_by_dropping_the_least_recently_used_bucket() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, max_keys=100, clock=FakeClock())
    buckets.take("busy")
    for n in range(1000):
        buckets.take(f"client:{n}")
        if n % 10 == 0:
            buckets.take("busy")
    assert len(buckets) == 100
    assert buckets.take("busy") > 0  # kept (recently used), so still empty


def test_concurrent_takers_never_get_more_than_the_burst() -> None:
    buckets = TokenBuckets(rate=1e-9, burst=50)
    allowed: list[int] = []
    guard = threading.Lock()

    def hammer() -> None:
        mine = sum(1 for _ in range(200) if buckets.take("shared") == 0.0)
        with guard:
            allowed.append(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 50
