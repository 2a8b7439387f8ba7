"""Whether a conditional GET may be answered 304 (RFC 9110, section 13.2.2)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime


def not_modified(
    *,
    if_none_match: bytes | None,
    if_modified_since: bytes | None,
    etag: bytes | None,
    last_modified: bytes | None,
) -> bool:
    """If-None-Match decides when present (weak comparison), else If-Modified-Since."""
    if if_none_match is not None:
        offered = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
        return b"*" in offered or (etag is not None and etag.removeprefix(b"W/") in offered)
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
        return parsedate_to_datetime(last_modified.decode("latin-1")) <= since
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC says
