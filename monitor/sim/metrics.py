"""What the company's services export to Prometheus, counted per minute.

Names and labels are what a service instrumented with a Prometheus client
would expose, so that the catalog's PromQL runs unchanged against them:

- ``touchpoint_requests_total{touchpoint, channel, outcome}`` counter; outcome is
  ``success``, ``error`` or ``timeout``
- ``touchpoint_request_duration_seconds{touchpoint}`` histogram
- ``touchpoint_active_customers{touchpoint}`` gauge: customers who started an
  interaction in the last 15 minutes
- ``batch_job_runs_total{job, status}`` counter, status ``success`` or ``failure``
- ``batch_job_items_processed_total{job}`` counter
- ``batch_job_last_success_timestamp_seconds{job}`` gauge
- ``up{job, instance, ...}`` for every scraped component

Counts are kept per minute of the history; the writers turn them into
cumulative counters.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field

LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, math.inf)
ACTIVE_WINDOW_MINUTES = 15

REQUESTS = "touchpoint_requests_total"
DURATION = "touchpoint_request_duration_seconds"
ACTIVE = "touchpoint_active_customers"
BATCH_RUNS = "batch_job_runs_total"
BATCH_ITEMS = "batch_job_items_processed_total"
BATCH_LAST_SUCCESS = "batch_job_last_success_timestamp_seconds"


def _zeros(n: int) -> array[int]:
    return array("q", bytes(8 * n))


@dataclass
class TouchpointSeries:
    """Per-minute counts of one touchpoint."""

    minutes: int
    requests: dict[tuple[str, str], array[int]] = field(default_factory=dict)
    buckets: list[array[int]] = field(default_factory=list)
    """Non-cumulative: ``buckets[b][m]`` requests of minute m whose latency fell in bucket b."""
    latency_sum: array[float] = field(default_factory=lambda: array("d"))
    started: array[int] = field(default_factory=lambda: array("q"))

    def __post_init__(self) -> None:
        self.buckets = [_zeros(self.minutes) for _ in LATENCY_BUCKETS]
        self.latency_sum = array("d", bytes(8 * self.minutes))
        self.started = _zeros(self.minutes)

    def counts(self, channel: str, outcome: str) -> array[int]:
        """The per-minute counter of one channel and outcome, created on first use."""
        key = (channel, outcome)
        found = self.requests.get(key)
        if found is None:
            found = self.requests[key] = _zeros(self.minutes)
        return found

    def observe(self, *, minute: int, channel: str, outcome: str, latency_s: float) -> None:
        """Count one request."""
        self.counts(channel, outcome)[minute] += 1
        self.buckets[bisect_left(LATENCY_BUCKETS, latency_s)][minute] += 1
        self.latency_sum[minute] += latency_s

    def total(self, *, outcome: str | None = None) -> int:
        """All requests of the history, optionally of one outcome."""
        return sum(sum(v) for (_, o), v in self.requests.items() if outcome in (None, o))


@dataclass
class BatchSeries:
    """Per-minute run counts of one batch job."""

    minutes: int
    runs: dict[str, array[int]] = field(default_factory=dict)
    items: array[int] = field(default_factory=lambda: array("q"))
    successes: list[tuple[int, float]] = field(default_factory=list)
    """(minute, epoch seconds) of each successful run, in time order after sorting."""

    def __post_init__(self) -> None:
        self.items = _zeros(self.minutes)
        for status in ("success", "failure"):
            self.runs[status] = _zeros(self.minutes)


class Metrics:
    """Everything the services counted over the history."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        self.touchpoints: dict[str, TouchpointSeries] = {}
        self.batch: dict[str, BatchSeries] = {}

    def touchpoint(self, touchpoint: str) -> TouchpointSeries:
        """The series of a touchpoint, created on first use."""
        found = self.touchpoints.get(touchpoint)
        if found is None:
            found = self.touchpoints[touchpoint] = TouchpointSeries(self.minutes)
        return found

    def job(self, job: str) -> BatchSeries:
        """The series of a batch job, created on first use."""
        found = self.batch.get(job)
        if found is None:
            found = self.batch[job] = BatchSeries(self.minutes)
        return found

    def batch_run(
        self, job: str, *, minute: int, ok: bool, items: int = 0, epoch_s: float = 0.0
    ) -> None:
        """Count one run of a batch job that started in ``minute``."""
        if not 0 <= minute < self.minutes:
            return
        series = self.job(job)
        series.runs["success" if ok else "failure"][minute] += 1
        if ok:
            series.items[minute] += items
            series.successes.append((minute, epoch_s))


def active_customers(started: array[int]) -> list[int]:
    """Trailing sum of interaction starts over the active window, per minute."""
    out: list[int] = []
    running = 0
    for m, value in enumerate(started):
        running += value
        if m >= ACTIVE_WINDOW_MINUTES:
            running -= started[m - ACTIVE_WINDOW_MINUTES]
        out.append(running)
    return out
