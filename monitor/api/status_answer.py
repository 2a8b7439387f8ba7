"""The answer to ``GET /api/v1/status`` for one snapshot and view: headers and body bytes.

Both the FastAPI route and the fast path in front of it (``status_fast``)
answer with this, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.api.conditional import not_modified
from monitor.api.status_schemas import StatusRead
from monitor.services.status import StatusSnapshot

MAX_RENDERED = 64
"""Rendered bodies kept (two views per snapshot); the oldest go when it is exceeded."""


@dataclass(frozen=True)
class StatusAnswer:
    """What to send: 200 with a body, or 304 when the caller already holds it."""

    status_code: int
    headers: dict[str, str]
    body: bytes


def status_answer(
    snap: StatusSnapshot,
    *,
    internal: bool,
    counts: bool,
    if_none_match: str | None,
    if_modified_since: str | None = None,
    rendered: dict[tuple[str, bool], bytes],
) -> StatusAnswer:
    """The answer for a snapshot and view; ``rendered`` caches bodies across requests."""
    etag = f'"{snap.etag}-{"i" if internal else "p"}"'
    headers = {
        "ETag": etag,
        "Cache-Control": ("private" if internal else "public") + ", max-age=5",
        "Vary": "Authorization",
    }
    if snap.last_change is not None:
        headers["Last-Modified"] = snap.last_change.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if not_modified(
        if_none_match=if_none_match.encode("latin-1") if if_none_match is not None else None,
        if_modified_since=(
            if_modified_since.encode("latin-1") if if_modified_since is not None else None
        ),
        etag=etag.encode(),
        last_modified=headers["Last-Modified"].encode() if "Last-Modified" in headers else None,
    ):
        return StatusAnswer(304, headers, b"")
    headers["Content-Type"] = "application/json"
    return StatusAnswer(200, headers, _body(snap, internal, counts, rendered))


def _body(
    snap: StatusSnapshot, internal: bool, counts: bool, rendered: dict[tuple[str, bool], bytes]
) -> bytes:
    key = (snap.etag, internal)
    body = rendered.get(key)
    if body is None:
        body = StatusRead.of(snap, internal=internal, counts=counts).model_dump_json().encode()
        if len(rendered) >= MAX_RENDERED:
            rendered.clear()
        rendered[key] = body
    return body
