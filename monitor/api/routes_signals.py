"""Customer signals: ``POST /api/v1/signals`` and an incident's signals.

A delivery is one signal object or ``{"signals": [...]}`` (at most
``MAX_SIGNALS``). It is answered 200 only once its valid signals are
committed; a bad signal is refused alone with a reason naming its location
(``signals[3].time: needs a time zone``) and the body is kept for
inspection; a delivery with no valid signal gets 422, a body that is not JSON
400, one over the size limit 413.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from monitor.api.auth import require
from monitor.api.body import read_limited
from monitor.api.deps import RuntimeDep
from monitor.api.errors import error_response
from monitor.api.ratelimit import RATE_LIMITED, limit_ingest
from monitor.api.signal_schemas import IncidentSignalsRead, SignalsResult, request_body_schema
from monitor.bootstrap import Runtime
from monitor.errors import PayloadTooLargeError
from monitor.services.signals import (
    accept_signals,
    keep_refused,
    parse_items,
    signal_summary,
)

router = APIRouter(prefix="/api/v1", tags=["signals"])
MAX_SIGNALS = 1000
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="An incident's id.")]


@router.post(
    "/signals",
    response_model=SignalsResult,
    dependencies=[Depends(require("ingest")), Depends(limit_ingest)],
    responses=RATE_LIMITED,
    openapi_extra={"requestBody": request_body_schema()},
)
async def post_signals(request: Request, rt: RuntimeDep) -> JSONResponse:
    """Accept customer signals: complaints, tickets, reviews, mentions, survey answers."""
    received = rt.clock()
    endpoint = request.url.path
    try:
        body = await read_limited(request, limit=rt.settings.max_body_bytes)
    except PayloadTooLargeError as exc:
        return error_response(413, "payload_too_large", str(exc))
    items, where, problem = _items(body.data)
    if problem is not None:
        rid = await _keep(rt, endpoint, problem, body.data, body.content_type, received)
        return error_response(400, "invalid_input", problem, rejected_payload_id=rid)
    drafts, rejected = parse_items(items, where=where, catalog=rt.catalog, now=received)
    if not drafts:
        reason = "; ".join(r.reason for r in rejected[:50])
        rid = await _keep(rt, endpoint, reason, body.data, body.content_type, received)
        listed = [{"index": r.index, "reason": r.reason} for r in rejected]
        return error_response(
            422, "no_valid_signal", reason, rejected=listed, rejected_payload_id=rid
        )
    accepted = await run_in_threadpool(
        lambda: accept_signals(
            rt.store,
            drafts=drafts,
            catalog=rt.catalog,
            settings=rt.settings,
            received_at=received,
            rejected=rejected,
            body=body.data,
            endpoint=endpoint,
        )
    )
    rt.worker.wake()
    result = SignalsResult.model_validate(
        {
            "accepted": len(accepted.ids),
            "ids": list(accepted.ids),
            "rejected": [{"index": r.index, "reason": r.reason} for r in accepted.rejected],
            "rejected_payload_id": accepted.rejected_payload_id,
        }
    )
    return JSONResponse(result.model_dump(mode="json"))


@router.get(
    "/incidents/{incident_id}/signals",
    response_model=IncidentSignalsRead,
    dependencies=[Depends(require("status:read"))],
)
def incident_signals(incident_id: IncidentId, rt: RuntimeDep) -> dict[str, Any]:
    """What customers said about an incident: counts by touchpoint and source, samples."""
    with rt.store.unit_of_work() as uow:
        uow.incidents.get(incident_id)  # 404 for an unknown incident
        return signal_summary(uow, incident_id).as_json()


def _items(data: bytes) -> tuple[list[object], str, str | None]:
    """The items of a body and the location format of each, or the reason it is unusable."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return [], "", f"body: not JSON ({type(exc).__name__})"
    if not isinstance(document, dict):
        return [], "", 'body: expected a signal object or {"signals": [...]}'
    if "signals" not in document:
        return [document], "signal", None
    unknown = sorted(str(k) for k in document if k != "signals")
    if unknown:
        # ascii(): a key may hold a lone surrogate, which no UTF-8 answer can carry
        return [], "", f"{unknown[0][:40]!a}: unknown field beside `signals`"
    items = document["signals"]
    if not isinstance(items, list):
        return [], "", "signals: expected an array"
    if not items:
        return [], "", "signals: the array is empty"
    if len(items) > MAX_SIGNALS:
        return [], "", f"signals: at most {MAX_SIGNALS} per request, got {len(items)}"
    return items, "signals[{}]", None


async def _keep(
    rt: Runtime, endpoint: str, reason: str, body: bytes, content_type: str | None, at: datetime
) -> int:
    return await run_in_threadpool(
        lambda: keep_refused(
            rt.store, endpoint=endpoint, reason=reason, body=body, content_type=content_type, at=at
        )
    )
