"""The background worker: drains the inbox and ends quiet incidents, surviving restarts.

It holds no state of its own beyond the pipeline's in-memory correlation,
which is rebuilt from the store on start; whatever was accepted and not
processed before a crash is simply still pending in the inbox.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from monitor.errors import StoreUnavailableError
from monitor.services.api_activity import ApiActivity
from monitor.services.dispatch import Dispatcher
from monitor.services.heap import HeapTrimmer
from monitor.services.pipeline import Pipeline
from monitor.services.signals import watch_signals
from monitor.services.subscriptions import notify_subscribers
from monitor.settings import Settings
from monitor.store.leader import LeaderLock

log = logging.getLogger(__name__)


class ReportWriter(Protocol):
    """Writes the reports of resolved incidents that lack one; returns how many it wrote.

    Reports sit above the services, so the process that assembles the monitor
    hands the worker one (``api.routes_reports.install``).
    """

    def __call__(self, *, now: datetime) -> int: ...


MIN_PASS_SECONDS = 0.05
"""Shortest time between the starts of two passes that processed something."""
MAX_REST_SECONDS = 0.1
"""A busy pass is followed by a rest as long as it computed, but never longer than this:
a new incident's first message must not wait behind it."""
HOUSEKEEPING_SECONDS = 1.0
"""How often the background loop does the work no delivery waits for (see ``run_once``)."""


class Worker:
    """A thread that runs the pipeline whenever there is work, and periodically anyway."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        settings: Settings,
        clock: Callable[[], datetime],
        leader: LeaderLock,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._dispatcher = dispatcher
        self._leader = leader
        self._settings = settings
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.report_writer: ReportWriter | None = None
        self._heap = HeapTrimmer()
        self.activity = ApiActivity()
        """Noted by the API of the same process (``api.activity``); idle without one."""

    def start(self) -> None:
        """Start the thread (rebuilding correlation state first)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="monitor-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current batch and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Tell the worker that new work was accepted."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def run_once(self, *, housekeeping: bool = True) -> int:
        """Process the inbox and deliver due notifications; returns batches processed.

        With ``housekeeping`` it also ends quiet incidents, watches customer
        signals, notifies subscribers and writes due reports. None of those
        waits on a delivery and each costs its own transaction, so during a
        storm the background loop does them once a second rather than at
        every pass of a few alerts.
        """
        now = self._clock()
        done = self._pipeline.process_pending(now=now, limit=self._settings.worker_batch_size)
        if housekeeping:
            self._pipeline.resolve_quiet(now=self._clock())
            watch_signals(
                self._pipeline.store,
                catalog=self._pipeline.catalog,
                settings=self._settings,
                comms=self._pipeline.comms,
                now=self._clock(),
            )
        if self._dispatcher is not None:
            self._dispatcher.review(now=self._clock())
            self._dispatcher.run_once()
        if housekeeping:
            # after the dispatcher: what it published this pass reaches subscribers now
            notify_subscribers(
                self._pipeline.store,
                catalog=self._pipeline.catalog,
                settings=self._settings,
                now=self._clock(),
            )
            if self.report_writer is not None:
                self.report_writer(now=self._clock())
        return done

    def _run(self) -> None:
        rebuilt = False
        housekept = float("-inf")
        while not self._stop.is_set():
            try:
                if not self._leader.held():
                    # Another process leads; stay ready to take over.
                    rebuilt = False
                    self._wake.wait(5)
                    self._wake.clear()
                    continue
                if not rebuilt:
                    self._pipeline.rebuild()
                    if self._dispatcher is not None:
                        self._dispatcher.recover()
                    rebuilt = True
                started = time.monotonic()
                computed = time.thread_time()
                requests = self.activity.started
                due = started - housekept >= HOUSEKEEPING_SECONDS
                done = self.run_once(housekeeping=due)
                if due:
                    housekept = started
                    self._heap.maybe_trim()
                self.last_error = None
                if done:
                    # Deliveries of a storm arrive a few milliseconds apart: gather
                    # them for the next pass rather than run one pass per delivery,
                    # and, while the API is being called, rest as long as the pass
                    # computed, so that the API in the same process (accepting,
                    # answering status reads) keeps at least half of the interpreter
                    # during a storm, and the next pass takes a bigger group, which
                    # costs less per alert. Nobody calling: drain the backlog flat out.
                    # CPU time, not wall time: waiting on Slack or the disk holds no GIL
                    worked = time.thread_time() - computed
                    gathered = started + MIN_PASS_SECONDS - time.monotonic()
                    shared = self.activity.busy_since(requests)
                    rest = min(worked, MAX_REST_SECONDS) if shared else 0.0
                    self._stop.wait(max(gathered, rest))
            except StoreUnavailableError as exc:
                self.last_error = str(exc)
                log.warning("store unavailable, worker will retry: %s", exc)
                done = 0
            except Exception as exc:  # the worker must outlive any one bad batch
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("worker iteration failed")
                done = 0
            if done == 0:
                self._wake.wait(self._settings.worker_poll_seconds)
                self._wake.clear()
