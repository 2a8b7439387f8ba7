"""Periodic jobs, run by APScheduler in the leader process only.

Prometheus polling (when configured) and impact estimation: every open
incident is re-estimated every ``estimate_interval_seconds``, and a resolved
one once more over its whole window (the final figure for the report).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.catalog import Catalog
from monitor.impact.estimate import Sources
from monitor.ingest import PrometheusQuery, connect_prometheus
from monitor.services.estimation import due_for_estimate, estimate_incident
from monitor.services.polling import poll_prometheus
from monitor.services.worker import Worker
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.leader import LeaderLock

log = logging.getLogger(__name__)


MAX_POLL_BACKOFF = timedelta(minutes=5)


def poll_backoff(interval_seconds: float, failures: int) -> timedelta:
    """How long the poller waits after ``failures`` failed polls in a row: doubling, capped.

    A Prometheus that is down or overloaded gets fewer queries, not a
    steady stream of them on top of its trouble.
    """
    if failures <= 0:
        return timedelta(0)
    wait = timedelta(seconds=interval_seconds * 2 ** min(failures - 1, 16))
    return max(timedelta(seconds=interval_seconds), min(wait, MAX_POLL_BACKOFF))


class Scheduler:
    """Owns the APScheduler instance and the jobs it runs."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        worker: Worker,
        leader: LeaderLock,
        clock: Callable[[], datetime],
        catalog: Catalog,
        sources: Sources,
    ) -> None:
        self._catalog = catalog
        self._sources = sources
        self._settings = settings
        self._store = store
        self._worker = worker
        self._leader = leader
        self._clock = clock
        self._scheduler: BackgroundScheduler | None = None
        self._client: PrometheusQuery | None = None
        self.poll_failures = 0
        """Polls failed in a row; the poller waits longer after each (see ``poll_backoff``)."""
        self._next_poll_at: datetime | None = None

    def start(self) -> None:
        """Start the jobs that the settings enable."""
        if self._scheduler is not None:
            return
        scheduler = BackgroundScheduler(timezone="UTC")
        if self._settings.prometheus_url and self._settings.prometheus_poll_seconds > 0:
            scheduler.add_job(
                self.poll_once,
                "interval",
                seconds=self._settings.prometheus_poll_seconds,
                id="prometheus-poll",
                max_instances=1,
                coalesce=True,
            )
        scheduler.add_job(
            self.estimate_once,
            "interval",
            seconds=min(60, max(5, self._settings.estimate_interval_seconds)),
            id="impact-estimates",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop the jobs, waiting for a running one to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def estimate_once(self) -> int:
        """Estimate the incidents that are due, if this process leads; returns how many."""
        if not self._leader.held():
            return 0
        now = self._clock()
        interval = timedelta(seconds=self._settings.estimate_interval_seconds)
        done = 0
        for incident_id in due_for_estimate(self._store, now=now, interval=interval).all():
            try:
                if estimate_incident(
                    self._store,
                    incident_id=incident_id,
                    catalog=self._catalog,
                    sources=self._sources,
                    now=now,
                ):
                    done += 1
            except Exception:  # one incident's estimate must not stop the others
                log.exception("estimating incident %s failed", incident_id)
        if done:
            self._worker.wake()  # playbooks may react to the new figures
        return done

    def poll_once(self) -> bool:
        """Poll Prometheus once if this process leads; True when something was accepted."""
        url = self._settings.prometheus_url
        now = self._clock()
        if not url or not self._leader.held():
            return False
        if self._next_poll_at is not None and now < self._next_poll_at:
            return False
        if self._client is None:
            self._client = connect_prometheus(
                url, timeout_seconds=self._settings.prometheus_timeout_seconds
            )
        try:
            accepted = poll_prometheus(self._store, client=self._client, now=now)
        except Exception as exc:  # a down Prometheus must not stop the schedule
            self.poll_failures += 1
            wait = poll_backoff(self._settings.prometheus_poll_seconds, self.poll_failures)
            self._next_poll_at = now + wait
            log.warning(
                "polling Prometheus at %s failed %d time(s) in a row, next try in %ds: %s",
                url,
                self.poll_failures,
                wait.total_seconds(),
                exc,
            )
            return False
        self.poll_failures = 0
        self._next_poll_at = None
        if accepted is not None:
            self._worker.wake()
        return accepted is not None
