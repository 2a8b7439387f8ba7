"""Opaque page cursors: the ``(time, id)`` position after the last item of a page.

Lists ordered newest first by ``(time, id)`` resume strictly after the
position; the cursor is that position in URL-safe base64, so callers pass it
back without reading it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from monitor.api.errors import QueryError


def encode_cursor(position: tuple[datetime, int]) -> str:
    """An opaque cursor for the position after ``(time, id)``."""
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor stands for; QueryError when it was not made by this API."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, last_id = json.loads(base64.urlsafe_b64decode(padded))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(last_id, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise QueryError("cursor: not a cursor returned by this API") from exc
    return moment, last_id
