"""Ingestion endpoints: answered 2xx only once the alerts are committed to the inbox."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from monitor.api.auth import require
from monitor.api.body import Body, read_limited
from monitor.api.deps import RuntimeDep
from monitor.api.errors import error_response
from monitor.api.ratelimit import RATE_LIMITED, limit_ingest
from monitor.api.schemas import IngestRejectedItem, IngestResult
from monitor.bootstrap import Runtime
from monitor.errors import InputError, PayloadTooLargeError
from monitor.ingest.alertmanager import Screened, parse_item_by_item, screen_alertmanager
from monitor.ingest.events import events_json_schema, parse_events
from monitor.ingest.limits import IngestLimits
from monitor.ingest.validation import ParsedBatch
from monitor.services.accept import Delivery, RejectedAlert, reject_delivery

router = APIRouter(prefix="/api/v1/ingest", dependencies=[Depends(require("ingest"))])

Parser = Callable[..., ParsedBatch]
Screen = Callable[..., Screened | None]


@router.post(
    "/alertmanager",
    response_model=IngestResult,
    dependencies=[Depends(limit_ingest)],
    responses=RATE_LIMITED,
)
async def ingest_alertmanager(request: Request, rt: RuntimeDep) -> JSONResponse:
    """Alertmanager's webhook (payload version 4)."""
    return await _ingest(
        request, rt, source="alertmanager", parser=parse_item_by_item, screen=screen_alertmanager
    )


@router.post(
    "/events",
    response_model=IngestResult,
    dependencies=[Depends(limit_ingest)],
    responses=RATE_LIMITED,
)
async def ingest_events(request: Request, rt: RuntimeDep) -> JSONResponse:
    """Generic JSON events from other tools (schema in ``monitor.ingest.events``)."""
    return await _ingest(request, rt, source="events", parser=parse_events)


@router.get("/events/schema")
def events_schema() -> dict[str, Any]:
    """The JSON Schema of ``POST /api/v1/ingest/events`` bodies."""
    return events_json_schema(IngestLimits())


async def _ingest(
    request: Request, rt: Runtime, *, source: str, parser: Parser, screen: Screen | None = None
) -> JSONResponse:
    received = rt.clock()
    endpoint = request.url.path
    try:
        body = await read_limited(request, limit=rt.settings.max_body_bytes)
    except PayloadTooLargeError as exc:
        size = int(request.headers.get("content-length", "0") or 0)
        rid = await _keep(rt, endpoint, str(exc), Body(b"", size, None), received)
        rt.telemetry.deliveries.labels(source, "too_large").inc()
        return error_response(413, "payload_too_large", str(exc), rejected_payload_id=rid)
    # the screen is the one-call validation; a body it refuses takes the full parse at once,
    # which names each problem's location
    screened = screen(body.data, now=received, limits=IngestLimits()) if screen else None
    if screened is not None:
        # every alert good: stored as it came, parsed by the worker with the same time
        delivery = Delivery(
            source,
            body.data,
            (),
            (),
            received,
            endpoint,
            dataclasses.asdict(screened.meta),
            alerts_in_payload=screened.count,
        )
        return await _commit(rt, source, delivery)
    try:
        parsed = parser(body.data, now=received, limits=IngestLimits())
    except InputError as exc:
        rid = await _keep(rt, endpoint, str(exc), body, received)
        rt.telemetry.deliveries.labels(source, "invalid").inc()
        return error_response(400, "invalid_input", str(exc), rejected_payload_id=rid)
    rejected = [RejectedAlert(r.index, r.reason) for r in parsed.rejected]
    if not parsed.alerts and rejected:
        reason = "; ".join(r.reason for r in rejected[:50])
        rid = await _keep(rt, endpoint, reason, body, received)
        rt.telemetry.deliveries.labels(source, "invalid").inc()
        rt.telemetry.alerts_rejected.labels(source).inc(len(rejected))
        items = [{"index": r.index, "reason": r.reason} for r in rejected]
        return error_response(
            422, "no_valid_alert", reason, rejected=items, rejected_payload_id=rid
        )
    delivery = Delivery(
        source, body.data, parsed.alerts, rejected, received, endpoint, _meta(parsed)
    )
    return await _commit(rt, source, delivery)


async def _commit(rt: Runtime, source: str, delivery: Delivery) -> JSONResponse:
    # Committed with whatever other deliveries are waiting: one transaction for all.
    accepted = await asyncio.wrap_future(rt.committer.submit(delivery))
    rt.worker.wake()
    rt.telemetry.deliveries.labels(source, "accepted").inc()
    rt.telemetry.alerts_accepted.labels(source).inc(accepted.accepted)
    rt.telemetry.alerts_rejected.labels(source).inc(len(delivery.rejected))
    result = IngestResult(
        batch_id=accepted.batch_id,
        accepted=accepted.accepted,
        rejected=[IngestRejectedItem(index=r.index, reason=r.reason) for r in accepted.rejected],
        rejected_payload_id=accepted.rejected_payload_id,
    )
    return JSONResponse(result.model_dump(mode="json"))


def _meta(parsed: ParsedBatch) -> dict[str, Any]:
    return dataclasses.asdict(parsed.meta)


async def _keep(rt: Runtime, endpoint: str, reason: str, body: Body, at: datetime) -> int:
    return await run_in_threadpool(
        lambda: reject_delivery(
            rt.store,
            endpoint=endpoint,
            reason=reason,
            body=body.data,
            size_bytes=body.size,
            content_type=body.content_type,
            received_at=at,
        )
    )
