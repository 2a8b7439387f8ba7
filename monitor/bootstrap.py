"""Builds the concrete runtime (engine, store, catalog, pipeline, worker) from settings.

Nothing is built at import time; the CLI and the API's lifespan call
``build_runtime`` and own what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.catalog import Catalog, load_catalog
from monitor.impact.estimate import Sources
from monitor.notify import Dedup, Lookup, Notifier, Retry, RetryPolicy, Send
from monitor.notify.sink import SinkNotifier
from monitor.notify.slack import SlackNotifier, slack_client
from monitor.notify.webhook import WebhookNotifier
from monitor.playbooks import empty_playbooks, load_playbooks
from monitor.scheduler import Scheduler
from monitor.services.comms import Comms
from monitor.services.dispatch import Dispatcher
from monitor.services.group_commit import GroupCommitter
from monitor.services.pipeline import Pipeline
from monitor.services.worker import Worker
from monitor.settings import Settings
from monitor.sources.operational import SqlOperationalData
from monitor.sources.prometheus import PrometheusMetrics
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
    comms: Comms
    dispatcher: Dispatcher
    committer: GroupCommitter
    clock: Callable[[], datetime] = field(default=utc_now)

    def start(self) -> None:
        """Start the background work: the inbox worker and the scheduled jobs."""
        self.worker.start()
        self.scheduler.start()

    def close(self) -> None:
        """Stop the background work and release the database connections."""
        self.scheduler.stop()
        self.committer.stop()
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
    comms, dispatcher = build_comms(settings, catalog=catalog, store=store, clock=clock)
    pipeline.comms = comms
    worker = Worker(
        pipeline=pipeline, settings=settings, clock=clock, leader=leader, dispatcher=dispatcher
    )
    scheduler = Scheduler(
        settings=settings,
        store=store,
        worker=worker,
        leader=leader,
        clock=clock,
        catalog=catalog,
        sources=build_sources(settings),
    )
    return Runtime(
        settings=settings,
        catalog=catalog,
        store=store,
        telemetry=telemetry,
        pipeline=pipeline,
        worker=worker,
        scheduler=scheduler,
        leader=leader,
        comms=comms,
        dispatcher=dispatcher,
        committer=GroupCommitter(store),
        clock=clock,
    )


def build_sources(settings: Settings) -> Sources:
    """Where impact estimates read: Prometheus and the operational database, when configured."""
    metrics = (
        PrometheusMetrics(
            settings.prometheus_url, timeout_seconds=settings.prometheus_timeout_seconds
        )
        if settings.prometheus_url
        else None
    )
    operational = (
        SqlOperationalData.from_url(settings.operational_db_url)
        if settings.operational_db_url
        else None
    )
    return Sources(metrics=metrics, operational=operational)


def build_comms(
    settings: Settings, *, catalog: Catalog, store: Store, clock: Callable[[], datetime]
) -> tuple[Comms, Dispatcher]:
    """Load the playbooks and build the notifiers: Slack when a token is set, else the sink."""
    directory = settings.playbooks_dir
    playbooks = load_playbooks(directory, catalog) if directory.is_dir() else empty_playbooks()
    comms = Comms(playbooks=playbooks, catalog=catalog, settings=settings, clock=clock)
    sink = SinkNotifier(
        path=settings.data_dir / "notifications.jsonl"
        if settings.notification_sink == "file"
        else None
    )
    slack: Notifier = sink
    lookup: Lookup | None = None
    if settings.slack_token is not None:
        client = slack_client(
            token=settings.slack_token.get_secret_value(),
            base_url=settings.slack_base_url,
            timeout=settings.slack_timeout_seconds,
        )
        slack = lookup = SlackNotifier(client)
    secret = settings.webhook_signing_secret
    webhooks = WebhookNotifier(
        urls=settings.webhook_urls,
        secret=secret.get_secret_value().encode() if secret else None,
        timeout_seconds=settings.webhook_timeout_seconds,
        fallback=sink,
    )
    policy = RetryPolicy(
        first=timedelta(seconds=settings.notify_retry_first_seconds),
        cap=timedelta(seconds=settings.notify_retry_cap_seconds),
    )
    dispatcher = Dispatcher(
        store=store,
        comms=comms,
        catalog=catalog,
        # The delivery pipeline, outermost first: retry(dedup(send)).
        slack=Retry(Dedup(Send(slack), lookup), policy=policy, clock=clock),
        calls=Retry(Send(webhooks), policy=policy, clock=clock),
        clock=clock,
        edit_interval=timedelta(seconds=settings.slack_edit_interval_seconds),
        export_dir=settings.data_dir / "exports",
        operational_db_url=settings.operational_db_url,
        batch_size=settings.dispatch_batch_size,
    )
    return comms, dispatcher
