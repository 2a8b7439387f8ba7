"""Group commit: deliveries that arrive together are committed in one transaction.

Committed one by one, every delivery pays a commit (a WAL flush on PostgreSQL)
and, on SQLite, a turn at the single write lock, where waiting
threads sleep in SQLite's busy handler for up to 100 ms between tries: in an
alert storm the queue, not the work, sets the answer time. One writer thread
instead takes every delivery waiting and commits them together. A sender is
still answered only once its delivery is in a committed transaction; a quiet
monitor commits each delivery as it comes, with no added wait.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from monitor.errors import StoreUnavailableError
from monitor.services.accept import Accepted, Delivery, accept_deliveries
from monitor.store import Store

log = logging.getLogger(__name__)

MAX_GROUP = 64
"""Deliveries per transaction at most: bounds one transaction's lock time and size."""

_Item = tuple[Delivery, "Future[Accepted]"]


class GroupCommitter:
    """Commits submitted deliveries from one thread, several per transaction."""

    def __init__(self, store: Store, *, max_group: int = MAX_GROUP) -> None:
        self._store = store
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.transactions = 0
        """Transactions committed or tried so far (fewer than deliveries under load)."""

    def submit(self, delivery: Delivery) -> Future[Accepted]:
        """Queue a delivery; the future holds its batch once committed, or the error."""
        future: Future[Accepted] = Future()
        with self._lock:
            if self._stopped:
                # Shutting down: commit in the caller's thread rather than refuse.
                self._commit([(delivery, future)])
                return future
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="inbox-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put((delivery, future))
        return future

    def stop(self, *, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the writer thread."""
        with self._lock:
            self._stopped = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            done = False
            while len(group) < self._max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    done = True
                    break
                group.append(item)
            self._commit(group)
            if done:
                return

    def _commit(self, group: Sequence[_Item]) -> None:
        self.transactions += 1
        try:
            results = accept_deliveries(self._store, [d for d, _ in group])
        except Exception as exc:
            if len(group) == 1 or isinstance(exc, StoreUnavailableError):
                # Unavailable is no delivery's fault: one by one would only wait longer.
                for _, future in group:
                    future.set_exception(exc)
                return
            # One delivery may be what the database refuses: the others must not pay for it.
            log.info(
                "group commit of %d deliveries failed (%s); committing one by one",
                len(group),
                type(exc).__name__,
            )
            for item in group:
                self._commit([item])
            return
        for (_, future), accepted in zip(group, results, strict=True):
            future.set_result(accepted)
