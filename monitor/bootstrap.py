"""Builds the concrete runtime (engine, store, catalog, pipeline, worker) from settings.

Nothing is built at import time; the CLI and the API's lifespan call
``build_runtime`` and own what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.catalog import Catalog, load_catalog
from monitor.scheduler import Scheduler
from monitor.services.pipeline import Pipeline
from monitor.services.worker import Worker
from monitor.settings import Settings
from monitor.store import Store, create_store_engine, migrate
from monitor.store.leader import LeaderLock
from monitor.telemetry import Telemetry

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything a running monitor holds; one per process."""

    settings: Settings
    catalog: Catalog
    store: Store
    telemetry: Telemetry
    pipeline: Pipeline
    worker: Worker
    scheduler: Scheduler
    leader: LeaderLock
    clock: Callable[[], datetime] = field(default=utc_now)

    def start(self) -> None:
        """Start the background work: the inbox worker and the scheduled jobs."""
        self.worker.start()
        self.scheduler.start()

    def close(self) -> None:
        """Stop the background work and release the database connections."""
        self.scheduler.stop()
        self.worker.stop()
        self.leader.release()
        self.store.engine.dispose()


def build_runtime(
    settings: Settings,
    *,
    apply_migrations: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> Runtime:
    """Load the catalog, open the store (migrating it) and assemble the pipeline and worker."""
    catalog = load_catalog(settings.catalog_path)
    engine = create_store_engine(settings.sqlalchemy_url())
    if apply_migrations:
        migrate.upgrade(engine)
    store = Store(engine)
    telemetry = Telemetry()
    pipeline = Pipeline(store=store, catalog=catalog, settings=settings, telemetry=telemetry)
    leader = LeaderLock(engine)
    worker = Worker(pipeline=pipeline, settings=settings, clock=clock, leader=leader)
    scheduler = Scheduler(settings=settings, store=store, worker=worker, leader=leader, clock=clock)
    return Runtime(
        settings=settings,
        catalog=catalog,
        store=store,
        telemetry=telemetry,
        pipeline=pipeline,
        worker=worker,
        scheduler=scheduler,
        leader=leader,
        clock=clock,
    )
