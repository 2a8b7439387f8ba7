"""Bearer tokens with scopes: who may read the internal status, change incidents, post alerts.

A request carries ``Authorization: Bearer <token>``. Tokens come from the
database (``monitor token create``) or, for Alertmanager's credentials file,
from ``MONITOR_INGEST_TOKEN`` (scope ``ingest``). Lookups are cached for a few
seconds so that authentication does not cost a query per request. With
``MONITOR_REQUIRE_AUTH=false`` (the demo on loopback) every request is admin.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from monitor.api.deps import RuntimeDep
from monitor.api.errors import ForbiddenError, UnauthorizedError
from monitor.bootstrap import Runtime
from monitor.services.tokens import find_token

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as scopes go."""

    name: str
    scopes: frozenset[str]
    credential: str | None = None
    """The credential that authenticated the call (``token:<id>``, ``ingest-token``), if any."""

    def allows(self, scope: str) -> bool:
        """True when this caller holds ``scope`` (admin holds every scope)."""
        return scope in self.scopes or "admin" in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names the caller: ``token:<name>``, or ``open-access`` without auth."""
        return f"token:{self.name}" if self.credential is not None else self.name


ANONYMOUS = Principal("anonymous", frozenset())
OPEN = Principal("open-access", frozenset({"admin"}))


class TokenCache:
    """Presented token → principal, kept for a few seconds (revocation takes that long)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(True, principal) when the token's answer is cached and fresh."""
        with self._lock:
            hit = self._entries.get(token)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def resolve(self, rt: Runtime, token: str) -> Principal | None:
        """The principal for a token, None when the token is not valid (may query)."""
        known, found = self.cached(token)
        if known:
            return found
        now = time.monotonic()
        principal = _lookup(rt, token)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token] = (now, principal)
        return principal


def _lookup(rt: Runtime, token: str) -> Principal | None:
    ingest = rt.settings.ingest_token
    if ingest is not None and hmac.compare_digest(
        token.encode(), ingest.get_secret_value().encode()
    ):
        return Principal("ingest-token", frozenset({"ingest"}), credential="ingest-token")
    record = find_token(rt.store, token)
    if record is None:
        return None
    return Principal(record.name, record.scopes, credential=f"token:{record.id}")


async def principal(request: Request, rt: RuntimeDep) -> Principal:
    """The caller; anonymous when no token was presented; 401 for a bad token."""
    if not rt.settings.require_auth:
        return OPEN
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise UnauthorizedError("use Authorization: Bearer <token>")
    cache: TokenCache = request.app.state.token_cache
    token = token.strip()
    known, found = cache.cached(token)
    if not known:
        found = await run_in_threadpool(cache.resolve, rt, token)
    if found is None:
        raise UnauthorizedError("unknown or revoked token")
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets through callers holding ``scope`` (401 without a token, else 403)."""

    async def check(who: PrincipalDep) -> Principal:
        if who.allows(scope):
            return who
        if who is ANONYMOUS:
            raise UnauthorizedError(f"a bearer token with scope {scope} is required")
        raise ForbiddenError(f"this token lacks the scope {scope}")

    return check
