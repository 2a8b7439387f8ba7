"""A clock in the scenario's time that runs ``speed`` times faster than the wall clock.

The whole monitor takes its clock from the runtime, so incidents, quiet
periods, playbook waits and impact windows all live in the simulated
company's time: a one-hour outage plays in two minutes at speed 30, and the
estimates read the metrics of that very hour.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


class VirtualClock:
    """Callable like ``utc_now``; starts at ``start`` and only ever moves forward."""

    def __init__(self, *, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._began = time.monotonic()
        self._skipped = timedelta(0)
        self._lock = threading.Lock()

    @property
    def speed(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self._speed

    def __call__(self) -> datetime:
        """The current simulated time."""
        with self._lock:
            return self._now()

    def _now(self) -> datetime:
        elapsed = (time.monotonic() - self._began) * self._speed
        return self._start + self._skipped + timedelta(seconds=elapsed)

    def skip_to(self, moment: datetime) -> None:
        """Jump ahead to ``moment`` (nothing happens if it has passed)."""
        with self._lock:
            now = self._now()
            if moment > now:
                self._skipped += moment - now

    def wall_seconds_until(self, moment: datetime) -> float:
        """Wall-clock seconds until the clock shows ``moment`` (negative once passed)."""
        return (moment - self()).total_seconds() / self._speed
