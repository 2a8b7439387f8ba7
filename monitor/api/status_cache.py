"""Short-lived caches, so ``GET /status`` under load costs no query."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TimedCache(Generic[T]):
    """Holds the latest value for ``ttl`` seconds; one rebuild at a time."""

    def __init__(self, *, ttl: float, build: Callable[[], T]) -> None:
        self._ttl = ttl
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None
        self._built_at = 0.0

    def fresh(self) -> T | None:
        """The cached value when still fresh, without blocking (None: call ``get``)."""
        value = self._value
        if value is not None and time.monotonic() - self._built_at < self._ttl:
            return value
        return None

    def get(self) -> T:
        """The cached snapshot, rebuilt when older than the TTL."""
        value = self._value
        if value is not None and time.monotonic() - self._built_at < self._ttl:
            return value
        with self._lock:  # callers waiting here get the snapshot the first one built
            if self._value is not None and time.monotonic() - self._built_at < self._ttl:
                return self._value
            self._value = self._build()
            self._built_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        """Forget the snapshot (after a change made through this process)."""
        self._built_at = 0.0
