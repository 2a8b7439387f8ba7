"""The hot path of ``GET /api/v1/status``: cached bytes sent before FastAPI's routing.

A support desk refreshing the status, or every copy of a mobile app polling
it, sends the same request again and again, and during an alert storm, when
everyone asks, the process is also busy accepting alerts. This ASGI layer
answers those requests from the cached snapshot without routing, dependency
solving or response validation. It answers only what it can decide alone: a
fresh snapshot, no query other than ``view``, and no token (or a token whose
answer the token cache already holds). Everything else (a stale snapshot, a
new token, a bad query) goes on to the FastAPI route, which answers the same
way through ``status_answer``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.api.auth import ANONYMOUS, OPEN, Principal, TokenCache
from monitor.api.status_answer import status_answer
from monitor.api.status_cache import TimedCache
from monitor.services.status import StatusSnapshot

PATH = "/api/v1/status"
_VIEWS = {None, "public", "internal"}


class FastStatus:
    """ASGI middleware serving fresh status snapshots; falls through for everything else."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: TimedCache[StatusSnapshot],
        tokens: TokenCache,
        rendered: dict[tuple[str, bool], bytes],
        require_auth: bool,
        counts: bool,
    ) -> None:
        self.app = app
        self._cache = cache
        self._tokens = tokens
        self._rendered = rendered
        self._require_auth = require_auth
        self._counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            answered = await self._answer(scope, send)
            if answered:
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        snap = self._cache.fresh()
        if snap is None:
            return False
        view = _view(scope["query_string"])
        if view not in _VIEWS:
            return False
        headers = dict(scope["headers"])
        who = self._principal(headers.get(b"authorization"))
        if who is None:
            return False
        tag, since = headers.get(b"if-none-match"), headers.get(b"if-modified-since")
        answer = status_answer(
            snap,
            internal=who.allows("status:read") and view != "public",
            counts=self._counts,
            if_none_match=tag.decode("latin-1") if tag is not None else None,
            if_modified_since=since.decode("latin-1") if since is not None else None,
            rendered=self._rendered,
        )
        raw = [(k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()]
        raw.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})
        return True

    def _principal(self, authorization: bytes | None) -> Principal | None:
        """The caller when known without a query; None sends the request to the route."""
        if not self._require_auth:
            return OPEN
        if authorization is None:
            return ANONYMOUS
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None  # the route answers 401 with its message
        known, found = self._tokens.cached(token.strip())
        return found if known else None


def _view(query: bytes) -> str | None:
    """The ``view`` parameter; anything but that one parameter returns a sentinel."""
    if not query:
        return None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "view":
        return "?"
    return pairs[0][1]
