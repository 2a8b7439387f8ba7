"""Liveness, readiness and the monitor's own metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.api.deps import RuntimeDep
from monitor.domain import EventKind
from monitor.errors import StoreUnavailableError
from monitor.store import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(rt: RuntimeDep) -> JSONResponse:
    """Ready when the database answers at the expected schema, takes writes, and the worker runs."""
    checks: dict[str, str] = {}
    try:
        rt.store.ping()
        checks["database"] = "ok"
        checks["schema"] = "ok" if migrate.is_current(rt.store.engine) else "outdated"
    except StoreUnavailableError as exc:
        checks["database"] = f"unavailable: {exc}"
    failure = rt.store.recheck_writes()
    if failure is not None:
        since = failure.since.isoformat(timespec="seconds")
        checks["writes"] = f"failing since {since}: {failure.reason}"[:500]
    else:
        checks["writes"] = "ok"
    checks["worker"] = "ok" if rt.worker.alive else "stopped"
    if rt.worker.last_error:
        checks["worker_last_error"] = rt.worker.last_error[:500]
    checks["catalog"] = f"ok ({len(rt.catalog.components)} components)"
    ready = all(
        v == "ok" for k, v in checks.items() if k in {"database", "schema", "writes", "worker"}
    )
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics(rt: RuntimeDep) -> Response:
    """Prometheus exposition of the monitor's own counters."""
    try:
        with rt.store.unit_of_work() as uow:
            rt.telemetry.inbox_backlog.set(uow.inbox.backlog())
            oldest = uow.inbox.oldest_pending()
            now = rt.clock()
            lag = (now - oldest).total_seconds() if oldest else 0.0
            rt.telemetry.processing_lag.set(max(0.0, lag))
            active = uow.incidents.active()
            rt.telemetry.open_incidents.set(len(active))
            latest = uow.incidents.latest_events(
                [i.id for i in active], kind=EventKind.ESTIMATE_UPDATED
            )
            # an incident never estimated counts from its opening: the stalest case
            ages = [
                (now - (latest[i.id].at if i.id in latest else i.opened_at)).total_seconds()
                for i in active
            ]
            rt.telemetry.estimate_age.set(max(ages, default=0.0))
            for (status, action), count in uow.outbox.counts().items():
                rt.telemetry.notifications.labels(status, action).set(count)
    except StoreUnavailableError:
        pass  # the counters are still worth serving when the database is down
    return Response(generate_latest(rt.telemetry.registry), media_type=CONTENT_TYPE_LATEST)
