"""Validators for every read: an ETag from the answer's bytes, and 304 when the caller has them.

Dashboards, support tools and the status page poll the same resources again
and again; most of the time nothing changed. An ETag computed from the body
is right by construction (no modification time to keep in step with the
data, which several resources do not have: an incident's timeline, its
playbook steps and its estimates change apart), so every ``GET`` answered
200 gets one, and a matching ``If-None-Match`` gets 304 without the body.
An answer that carries ``Last-Modified`` also gets 304 for an
``If-Modified-Since`` at or after it. ``/api/v1/status`` answers conditional
GETs itself (``status_answer``, the hot path); ``/metrics`` is never held
(its values are read, not cached).
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.api.conditional import not_modified

SKIP = frozenset({"/metrics", "/api/v1/status"})
"""Never held (``/metrics``), or answering conditional GETs themselves (``/api/v1/status``)."""
_KEPT_ON_304 = (b"etag", b"cache-control", b"vary", b"last-modified", b"expires")


class ETags:
    """ASGI middleware adding body ETags to GET answers and answering conditional GETs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] in SKIP:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _finish(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, capture)


async def _finish(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
    names = {k.lower() for k, _ in headers}
    if start["status"] != 200:
        await _send(send, start, headers, body)
        return
    if b"etag" not in names:
        headers.append(
            (b"etag", b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"')
        )
        if b"cache-control" not in names:
            # answers differ by token: caches may keep them but must ask again first
            headers.append((b"cache-control", b"private, no-cache"))
            headers.append((b"vary", b"Authorization"))
    request = dict(scope["headers"])
    answer = {k.lower(): v for k, v in headers}
    if not_modified(
        if_none_match=request.get(b"if-none-match"),
        if_modified_since=request.get(b"if-modified-since"),
        etag=answer.get(b"etag"),
        last_modified=answer.get(b"last-modified"),
    ):
        kept = [(k, v) for k, v in headers if k.lower() in _KEPT_ON_304]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await _send(send, start, headers, body)


async def _send(
    send: Send, start: Message, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
