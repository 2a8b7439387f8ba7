"""Slack interactivity (buttons) and the ``/impact`` slash command.

Every request must carry Slack's signature: HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret, the timestamp within five
minutes of now (so a captured request cannot be replayed later). Anything
else, including every request when no signing secret is configured, gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from monitor.api.deps import RuntimeDep
from monitor.api.errors import UnauthorizedError
from monitor.bootstrap import Runtime
from monitor.domain import IncidentState
from monitor.errors import ConflictError, InputError, NotFoundError
from monitor.notify.blocks import ACKNOWLEDGE, APPROVE, ESCALATE, RESOLVE
from monitor.services import actions

router = APIRouter(prefix="/api/v1/slack", tags=["slack"])

MAX_SKEW_SECONDS = 300


def verify_slack_signature(
    *, secret: bytes, timestamp: str, signature: str, body: bytes, now: datetime
) -> bool:
    """True when the request was signed with ``secret`` within five minutes of ``now``."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > MAX_SKEW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


async def _verified_form(request: Request, rt: Runtime) -> dict[str, str]:
    secret = rt.settings.slack_signing_secret
    body = await request.body()
    if secret is None or not verify_slack_signature(
        secret=secret.get_secret_value().encode(),
        timestamp=request.headers.get("x-slack-request-timestamp", ""),
        signature=request.headers.get("x-slack-signature", ""),
        body=body,
        now=rt.clock(),
    ):
        raise UnauthorizedError("missing, invalid or stale Slack signature")
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in form.items()}


def slack_actor(user: str) -> str:
    """How the audit log names a Slack user (the request's signature vouches for the name)."""
    return f"slack:{user}"


@router.post("/interactions")
async def interactions(request: Request, rt: RuntimeDep) -> JSONResponse:
    """A button in a monitor message was clicked: acknowledge, escalate, resolve, approve."""
    form = await _verified_form(request, rt)
    try:
        payload = json.loads(form.get("payload", ""))
        action = payload["actions"][0]
        action_id, value = str(action["action_id"]), str(action["value"])
        user = payload.get("user") or {}
        by = str(user.get("username") or user.get("name") or user.get("id") or "slack user")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"not a Slack block action: {exc}") from exc
    text = await run_in_threadpool(_act, rt, action_id, value, by)
    rt.worker.wake()
    return JSONResponse({"response_type": "ephemeral", "replace_original": False, "text": text})


def _act(rt: Runtime, action_id: str, value: str, by: str) -> str:
    at = rt.clock()
    actor = slack_actor(by)
    try:
        if action_id == APPROVE:
            actions.approve_customer_message(
                rt.store, key=value, by=by, actor=actor, at=at, comms=rt.comms
            )
            return f"Customer message approved by {by}; it will be published."
        incident_id = int(value)
        if action_id == ACKNOWLEDGE:
            actions.acknowledge(
                rt.store, incident_id=incident_id, by=by, actor=actor, at=at, comms=rt.comms
            )
            return f"Incident {incident_id} acknowledged by {by}."
        if action_id == ESCALATE:
            actions.escalate(
                rt.store, incident_id=incident_id, by=by, actor=actor, at=at, comms=rt.comms
            )
            return f"Incident {incident_id} escalated by {by}."
        if action_id == RESOLVE:
            actions.change_state(
                rt.store,
                incident_id=incident_id,
                state=IncidentState.RESOLVED,
                by=by,
                actor=actor,
                at=at,
                comms=rt.comms,
            )
            return f"Incident {incident_id} resolved by {by}."
    except (ConflictError, NotFoundError) as exc:
        return str(exc)
    except ValueError as exc:
        raise InputError(f"bad action value {value!r}") from exc
    raise InputError(f"unknown action {action_id!r}")


@router.post("/commands")
async def commands(request: Request, rt: RuntimeDep) -> JSONResponse:
    """``/impact status`` lists open incidents; ``/impact declare [tps] title`` opens one."""
    form = await _verified_form(request, rt)
    words = form.get("text", "").strip().split(maxsplit=1)
    sub = words[0].lower() if words else "status"
    rest = words[1] if len(words) > 1 else ""
    by = form.get("user_name") or form.get("user_id") or "slack user"
    if sub == "status":
        text = await run_in_threadpool(_status, rt)
    elif sub == "declare" and rest:
        text = await run_in_threadpool(_declare, rt, rest, by)
    else:
        text = "Usage: /impact status | /impact declare [touchpoint,…] title"
    rt.worker.wake()
    return JSONResponse({"response_type": "ephemeral", "text": text})


def _status(rt: Runtime) -> str:
    open_states = [s for s in IncidentState if s is not IncidentState.RESOLVED]
    with rt.store.unit_of_work() as uow:
        found = uow.incidents.recent(states=open_states, limit=20)
    if not found:
        return "No open incident."
    lines = [
        f"• {i.id} {i.severity.value} {i.state.value}: {i.title}"
        + (f" (acknowledged by {i.acknowledged_by})" if i.acknowledged_by else "")
        for i in found
    ]
    return "Open incidents:\n" + "\n".join(lines)


def _declare(rt: Runtime, rest: str, by: str) -> str:
    first, _, title = rest.partition(" ")
    touchpoints = [t for t in first.split(",") if t]
    if not title or not all(t in rt.catalog.touchpoints for t in touchpoints):
        touchpoints, title = [], rest
    try:
        incident = actions.declare_incident(
            rt.store,
            catalog=rt.catalog,
            title=title[:500],
            by=by,
            actor=slack_actor(by),
            at=rt.clock(),
            touchpoints=touchpoints,
            summary="declared from Slack",
            comms=rt.comms,
        )
    except InputError as exc:
        return str(exc)
    return f"Incident {incident.id} declared: {incident.title}"
