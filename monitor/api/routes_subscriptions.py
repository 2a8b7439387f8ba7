"""Subscriptions to the status page: public sign-up with double opt-in, one-click leave.

Signing up is open to anyone, so it is limited per client address and
answers the same whether or not an address already asked (no probing who is
subscribed). The confirm and unsubscribe links are what the messages carry;
per RFC 8058 the unsubscribe GET only shows a button (mail scanners follow
links), and the POST, which mail clients send for ``List-Unsubscribe-Post``,
ends the subscription.
"""

from __future__ import annotations

import html
import threading
import time
from collections import deque
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from monitor.api.auth import require
from monitor.api.deps import RuntimeDep
from monitor.api.errors import error_response
from monitor.api.schemas import Strict
from monitor.services.subscriptions import (
    SubscriptionRequest,
    confirm,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from monitor.services.subscriptions.manage import masked_target
from monitor.store.repositories.subscriptions import Subscription

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"])
Token = Annotated[str, Query(min_length=16, max_length=200, pattern="^[A-Za-z0-9_-]+$")]
WINDOW_SECONDS = 3600.0


class SubscriptionCreate(Strict):
    """A sign-up: an e-mail address or an http(s) URL, and what to hear about."""

    kind: Literal["email", "webhook"]
    target: str = Field(min_length=3, max_length=2048)
    touchpoints: list[str] = Field(default_factory=list, max_length=200)
    """Touchpoints to follow; empty (with no components) follows every touchpoint."""
    components: list[str] = Field(default_factory=list, max_length=500)
    """Components whose maintenance notices are wanted."""
    language: Literal["en", "fr"] = "en"


class SubscriptionCreated(BaseModel):
    """The answer to a sign-up; a webhook's signing secret is shown only here."""

    status: str
    message: str
    id: int | None = None
    signing_secret: str | None = None
    unsubscribe_url: str | None = None


class SubscriptionRead(BaseModel):
    """A subscription as administrators see it (the target partly masked)."""

    id: int
    kind: str
    target: str
    touchpoints: list[str]
    components: list[str]
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    last_sent_at: datetime | None

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionRead:
        """The API view of a subscription."""
        return cls(
            id=subscription.id,
            kind=subscription.kind,
            target=masked_target(subscription),
            touchpoints=list(subscription.touchpoints),
            components=list(subscription.components),
            language=subscription.language,
            created_at=subscription.created_at,
            confirmed_at=subscription.confirmed_at,
            unsubscribed_at=subscription.unsubscribed_at,
            last_sent_at=subscription.last_sent_at,
        )


class ClientLimiter:
    """At most ``limit`` requests per client address in a sliding hour (per process)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count a request from ``client``; False when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 50_000:
                self._seen.clear()
            seen = self._seen.setdefault(client, deque())
            while seen and now - seen[0] > WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= self._limit:
                return False
            seen.append(now)
            return True


def _limiter(request: Request, limit: int) -> ClientLimiter:
    state = request.app.state
    found = getattr(state, "subscription_limiter", None)
    if not isinstance(found, ClientLimiter):
        found = state.subscription_limiter = ClientLimiter(limit)
    return found


@router.post("", status_code=202, response_model=SubscriptionCreated)
async def create(body: SubscriptionCreate, request: Request, rt: RuntimeDep) -> Response:
    """Sign up; nothing but the confirmation is sent until the link in it is used."""
    client = request.client.host if request.client else "unknown"
    if not _limiter(request, rt.settings.subscription_requests_per_hour).allow(client):
        response = error_response(
            429, "rate_limited", "too many subscription requests; retry later"
        )
        response.headers["Retry-After"] = str(int(WINDOW_SECONDS))
        return response
    wanted = SubscriptionRequest(
        kind=body.kind,
        target=body.target,
        touchpoints=tuple(body.touchpoints),
        components=tuple(body.components),
        language=body.language,
    )
    done = await run_in_threadpool(
        lambda: subscribe(
            rt.store, catalog=rt.catalog, settings=rt.settings, request=wanted, now=rt.clock()
        )
    )
    rt.worker.wake()
    if done.kind == "email":
        answer = SubscriptionCreated(
            status="pending_confirmation",
            message="if the address can receive mail, a confirmation link is on its way",
        )
        return JSONResponse(answer.model_dump(), status_code=202)
    answer = SubscriptionCreated(
        status="pending_confirmation",
        message="a signed confirmation request is being posted to the URL; call its confirm_url",
        id=done.subscription_id,
        signing_secret=done.signing_secret,
        unsubscribe_url=done.unsubscribe_url,
    )
    return JSONResponse(answer.model_dump(), status_code=201)


@router.get("/confirm", response_class=HTMLResponse)
def confirm_link(token: Token, rt: RuntimeDep) -> HTMLResponse:
    """Confirm a subscription from the link of its confirmation message."""
    confirm(rt.store, token=token, now=rt.clock())
    return _page("Subscription confirmed", "You will now receive status updates.")


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(token: Token) -> HTMLResponse:
    """A page with one button; following the link alone changes nothing."""
    action = f"/api/v1/subscriptions/unsubscribe?token={html.escape(token)}"
    form = (
        f'<form method="post" action="{action}"><button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe from status updates", form, raw=True)


@router.post("/unsubscribe")
def unsubscribe_now(token: Token, rt: RuntimeDep) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058): ends the subscription at once."""
    unsubscribe(rt.store, token=token, now=rt.clock())
    return {"status": "unsubscribed"}


@router.get("", dependencies=[Depends(require("admin"))])
def list_all(
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SubscriptionRead]:
    """Subscriptions, newest first (administrators only)."""
    return [
        SubscriptionRead.of(s) for s in list_subscriptions(rt.store, limit=limit, offset=offset)
    ]


def _page(title: str, text: str, *, raw: bool = False) -> HTMLResponse:
    body = text if raw else f"<p>{html.escape(text)}</p>"
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
