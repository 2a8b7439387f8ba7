"""Periodic jobs (Prometheus polling), run by APScheduler in the leader process only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.ingest import PrometheusQuery, connect_prometheus
from monitor.services.polling import poll_prometheus
from monitor.services.worker import Worker
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.leader import LeaderLock

log = logging.getLogger(__name__)


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
    ) -> None:
        self._settings = settings
        self._store = store
        self._worker = worker
        self._leader = leader
        self._clock = clock
        self._scheduler: BackgroundScheduler | None = None
        self._client: PrometheusQuery | None = None

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
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop the jobs, waiting for a running one to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def poll_once(self) -> bool:
        """Poll Prometheus once if this process leads; True when something was accepted."""
        url = self._settings.prometheus_url
        if not url or not self._leader.held():
            return False
        if self._client is None:
            self._client = connect_prometheus(
                url, timeout_seconds=self._settings.prometheus_timeout_seconds
            )
        try:
            accepted = poll_prometheus(self._store, client=self._client, now=self._clock())
        except Exception:  # a down Prometheus must not stop the schedule
            log.exception("polling Prometheus at %s failed", url)
            return False
        if accepted is not None:
            self._worker.wake()
        return accepted is not None
