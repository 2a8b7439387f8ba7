"""Request-rate limits on ingestion: a token bucket per credential, in this process.

Each credential (an API token's id, the configured ingest token, or the client
address when auth is off) has a bucket of ``MONITOR_INGEST_BURST`` requests
that refills at ``MONITOR_INGEST_RATE_PER_SECOND``. A request that finds its
bucket empty is answered 429 with ``Retry-After`` (whole seconds until one
would pass) before its body is read, and counted in
``monitor_ingest_rate_limited_total``. One runaway sender thus cannot take
the database or the worker from the others.

What a 429 means for the senders. Alertmanager's webhook integration retries
only 5xx answers at once; a 429 fails that flush. Because the failure is not
written to its notification log and its resolved alerts are kept until a
notification succeeds, the group's current alerts are sent again at its next
``group_interval`` (5 minutes by default): a throttled Alertmanager is
delayed, not silenced, though an alert that fires and resolves within that
wait may never reach the monitor. The defaults are far above what an
Alertmanager sends (one request per alert group per ``group_interval``), so
only a misbehaving sender meets the limit. Other senders (events, signals)
are told to retry by the answer itself.

The buckets live in memory: with N API processes a credential gets N times
the rate, and a restart refills every bucket. At most ``max_keys`` buckets
are kept; the least recently used goes first, and since it was idle the
longest it was most likely full again anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request

from monitor.api.auth import PrincipalDep
from monitor.api.deps import RuntimeDep
from monitor.api.errors import RateLimitedError

MAX_KEYS = 10_000

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "The credential is over its ingest rate; retry after ``Retry-After`` "
        "seconds (body: the standard error with ``retry_after_seconds``).",
    }
}
"""The OpenAPI description of the 429 answer, for the routes that are limited."""


class TokenBuckets:
    """One token bucket per key, thread-safe, holding at most ``max_keys`` buckets."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._clock = clock
        # key -> (tokens left, when counted); insertion order is recency of use
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when the rate is 0 (no limit)."""
        return self.rate > 0

    def take(self, key: str) -> float:
        """Spend one request of ``key``'s bucket: 0.0 when allowed, else seconds to wait."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            held = self._buckets.pop(key, None)
            tokens = float(self.burst)
            if held is not None:
                tokens = min(tokens, held[0] + (now - held[1]) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                del self._buckets[next(iter(self._buckets))]
        return wait

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)


async def limit_ingest(request: Request, who: PrincipalDep, rt: RuntimeDep) -> None:
    """Let the request through, or raise RateLimitedError when its credential is over its rate.

    Use it after the scope check, so only authenticated callers are counted.
    """
    buckets: TokenBuckets = request.app.state.ingest_buckets
    client = request.client.host if request.client else "unknown"
    key = who.credential or f"client:{client}"
    wait = buckets.take(key)
    if wait <= 0:
        return
    route = request.scope.get("route")
    endpoint = str(getattr(route, "path", "other"))
    rt.telemetry.rate_limited.labels(endpoint).inc()
    raise RateLimitedError(
        f"too many ingest requests for this credential (at most {buckets.rate:g} a second, "
        f"{buckets.burst} at once); retry later",
        retry_after=wait,
    )
