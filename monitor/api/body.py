"""Reading request bodies with a ceiling, so a 50 MB post cannot exhaust memory."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from monitor.errors import PayloadTooLargeError


@dataclass(frozen=True)
class Body:
    """A request body read up to the limit; ``size`` counts what was sent or announced."""

    data: bytes
    size: int
    content_type: str | None


async def read_limited(request: Request, *, limit: int) -> Body:
    """Read the body, stopping as soon as it exceeds ``limit`` bytes."""
    content_type = request.headers.get("content-type")
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise PayloadTooLargeError(
            f"the body is {int(announced)} bytes; the limit is {limit} bytes"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return Body(b"".join(chunks), size, content_type)
