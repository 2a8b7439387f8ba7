"""The FastAPI application, assembled around a runtime built by ``monitor.bootstrap``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from monitor import __version__
from monitor.api import (
    routes_alerts,
    routes_health,
    routes_incidents,
    routes_ingest,
    routes_maintenance,
)
from monitor.api.errors import install_error_handlers
from monitor.bootstrap import Runtime


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
            runtime.worker.stop()

    app = FastAPI(
        title="Outage customer-impact monitor",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(routes_health.router)
    app.include_router(routes_ingest.router)
    app.include_router(routes_incidents.router)
    app.include_router(routes_alerts.router)
    app.include_router(routes_maintenance.router)
    return app
