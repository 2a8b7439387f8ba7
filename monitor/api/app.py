"""The FastAPI application, assembled around a runtime built by ``monitor.bootstrap``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from monitor import __version__
from monitor.api import (
    routes_alerts,
    routes_audit,
    routes_health,
    routes_incidents,
    routes_ingest,
    routes_maintenance,
    routes_pages,
    routes_reports,
    routes_signals,
    routes_slack,
    routes_status,
    routes_subscriptions,
)
from monitor.api.activity import NoteActivity
from monitor.api.auth import TokenCache
from monitor.api.errors import install_error_handlers
from monitor.api.etags import ETags
from monitor.api.ratelimit import TokenBuckets
from monitor.api.routes_pages import uptime_by_touchpoint
from monitor.api.status_cache import TimedCache
from monitor.api.status_fast import FastStatus
from monitor.bootstrap import Runtime
from monitor.correlate.correlate import PreparedCatalog
from monitor.services.components import current_health
from monitor.services.status import build_status


def create_app(runtime: Runtime, *, start_worker: bool = True) -> FastAPI:
    """An app serving ``runtime``; the worker starts and stops with the app."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_worker:
            runtime.start()
        try:
            yield
        finally:
            runtime.scheduler.stop()
            runtime.committer.stop()
            runtime.worker.stop()

    app = FastAPI(
        title="Outage customer-impact monitor",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.token_cache = TokenCache()
    app.state.ingest_buckets = TokenBuckets(
        rate=runtime.settings.ingest_rate_per_second, burst=runtime.settings.ingest_burst
    )
    app.state.status_bodies = {}
    ttl = runtime.settings.status_cache_seconds
    prepared = PreparedCatalog.of(runtime.catalog)
    app.state.status_cache = TimedCache(
        ttl=ttl,
        build=lambda: build_status(runtime.store, catalog=runtime.catalog, now=runtime.clock()),
    )
    app.state.uptime_cache = TimedCache(
        ttl=max(ttl, 30.0),
        build=lambda: uptime_by_touchpoint(
            runtime.store, catalog=runtime.catalog, now=runtime.clock()
        ),
    )
    app.state.health_cache = TimedCache(
        ttl=ttl,
        build=lambda: current_health(
            runtime.store, catalog=runtime.catalog, prepared=prepared, now=runtime.clock()
        ),
    )
    install_error_handlers(app)
    app.add_middleware(ETags)
    # the status hot path answers before anything else runs
    app.add_middleware(
        FastStatus,
        cache=app.state.status_cache,
        tokens=app.state.token_cache,
        rendered=app.state.status_bodies,
        require_auth=runtime.settings.require_auth,
        counts=runtime.settings.public_show_counts,
    )
    # around everything, the status hot path included: the worker rests while it is called
    app.add_middleware(NoteActivity, activity=runtime.worker.activity)
    app.include_router(routes_health.router)
    app.include_router(routes_ingest.router)
    app.include_router(routes_incidents.router)
    app.include_router(routes_alerts.router)
    app.include_router(routes_maintenance.router)
    app.include_router(routes_status.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_slack.router)
    app.include_router(routes_subscriptions.router)
    app.include_router(routes_signals.router)
    app.include_router(routes_audit.router)
    routes_reports.install(app, runtime)
    return app
