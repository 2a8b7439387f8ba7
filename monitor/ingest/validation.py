"""Rules shared by every payload parser: batches, rejections, times and labels.

A payload is accepted or refused as a whole only for envelope problems (not
JSON, wrong version, no list of alerts). Anything wrong with one alert rejects
that alert alone, with a reason that names its location, so that one bad rule
in a sender's configuration does not hide every other alert of the batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import ValidationError

from monitor.domain import Alert
from monitor.errors import InputError
from monitor.ingest.limits import IngestLimits

LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
"""Prometheus label names; Alertmanager applies the same rule to annotation names."""

_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$",
    re.ASCII,  # \d would otherwise accept any Unicode digit
)
_LINK_RE = re.compile(r"^https?://", re.IGNORECASE)
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_MAX_ERRORS_PER_ITEM = 3
_MAX_KEY_IN_MESSAGE = 40

Item = TypeVar("Item")


@dataclass(frozen=True)
class RejectedItem:
    """One item of a payload that was not accepted, and why (with its location)."""

    index: int
    reason: str


@dataclass(frozen=True)
class BatchMeta:
    """Facts about the payload as a whole, kept for logs and the API answer."""

    receiver: str = ""
    group_key: str = ""
    external_url: str = ""
    truncated_alerts: int = 0


@dataclass(frozen=True)
class ParsedBatch:
    """The accepted alerts of one payload, in payload order, and the rejected items."""

    alerts: tuple[Alert, ...]
    rejected: tuple[RejectedItem, ...]
    meta: BatchMeta = BatchMeta()


class ItemRejectedError(Exception):
    """Raised inside a parser to reject one item; never escapes ``monitor.ingest``.

    The message starts with the item's location, e.g. ``alerts[3].startsAt: …``.
    """


def require_aware(now: datetime) -> datetime:
    """Return ``now`` in UTC; a naive time is a programming error, not bad input."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def load_json_object(body: bytes, *, what: str) -> dict[str, Any]:
    """Decode a JSON object or raise InputError saying what is wrong with the body."""
    try:
        document = json.loads(body)
    except RecursionError:
        raise InputError(f"{what}: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
        raise InputError(f"{what}: not valid JSON ({_short(str(exc), 120)})") from None
    if not isinstance(document, dict):
        raise InputError(f"{what}: expected a JSON object, got {json_type(document)}")
    if is_plain_json(body):
        # Valid UTF-8 cannot hold a surrogate: only a \uD800-style escape brings one in,
        # and the walk over every string costs a storm more than the parse itself.
        return document
    cleaned: dict[str, Any] = _without_lone_surrogates(document)
    return cleaned


def is_plain_json(body: bytes) -> bool:
    """True when ``body`` is UTF-8 without an escaped surrogate: text needing no repair."""
    return json.detect_encoding(body) == "utf-8" and not _ESCAPED_SURROGATE.search(body)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _without_lone_surrogates(value: Any) -> Any:
    """Replace lone surrogates (legal as JSON escapes, not in UTF-8) with U+FFFD.

    Go's JSON decoder, and so Alertmanager, does the same; doing it once here
    keeps fingerprints and everything downstream free of unencodable text.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


def require_item_list(document: Mapping[str, Any], *, key: str, limits: IngestLimits) -> list[Any]:
    """Return ``document[key]`` as a list within the batch limit, or raise InputError."""
    if key not in document:
        raise InputError(f"{key}: missing")
    items = document[key]
    if not isinstance(items, list):
        raise InputError(f"{key}: expected a list, got {json_type(items)}")
    if len(items) > limits.max_alerts_per_batch:
        raise InputError(
            f"{key}: {len(items)} items, more than the limit of {limits.max_alerts_per_batch}"
        )
    return items


def json_type(value: object) -> str:
    """Name ``value``'s JSON type the way a sender's author would."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def location(prefix: str, loc: Iterable[int | str]) -> str:
    """Render a pydantic-style location as ``alerts[3].labels.team``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif LABEL_NAME_RE.fullmatch(part) and len(part) <= _MAX_KEY_IN_MESSAGE:
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(_short(part, _MAX_KEY_IN_MESSAGE))}]"
    return out


def describe_validation_error(prefix: str, error: ValidationError) -> str:
    """Summarise pydantic's errors for one item as ``location: problem; …``."""
    parts = []
    for detail in error.errors(include_url=False, include_input=False)[:_MAX_ERRORS_PER_ITEM]:
        kind = detail["type"]
        if kind == "missing":
            problem = "missing"
        elif kind == "extra_forbidden":
            problem = "unknown field"
        else:
            problem = str(detail["msg"])
        parts.append(f"{location(prefix, detail['loc'])}: {problem}")
    if error.error_count() > _MAX_ERRORS_PER_ITEM:
        parts.append(f"and {error.error_count() - _MAX_ERRORS_PER_ITEM} more problems")
    return "; ".join(parts)


def parse_time(text: str, *, where: str, now: datetime, limits: IngestLimits) -> datetime:
    """Parse a required RFC 3339 time into UTC, rejecting absurd values.

    Go prints nanoseconds; Python keeps microseconds, which is finer than any
    alerting source's resolution, so the rest is dropped.
    """
    value = parse_optional_time(text, where=where, now=now, limits=limits)
    if value is None:
        raise ItemRejectedError(f"{where}: missing (zero time)")
    return value


def parse_optional_time(
    text: str, *, where: str, now: datetime, limits: IngestLimits
) -> datetime | None:
    """Like :func:`parse_time`, but Go's zero time ``0001-01-01T00:00:00Z`` means unset."""
    if text == _GO_ZERO_TIME:
        return None  # every firing alert of Alertmanager carries it
    value = _rfc3339(text)
    if value is None:
        raise ItemRejectedError(f"{where}: not a RFC 3339 time")
    if value == _ZERO_TIME:
        return None
    if value < limits.min_time:
        raise ItemRejectedError(f"{where}: before {limits.min_time.date().isoformat()}")
    if value > now + limits.future_skew:
        raise ItemRejectedError(f"{where}: more than {_human(limits.future_skew)} in the future")
    return value


@lru_cache(maxsize=4096)
def _rfc3339(text: str) -> datetime | None:
    """The UTC time ``text`` says, None when it is no RFC 3339 time.

    Remembered: the alerts of one rule evaluation, delivered together and
    again at every repeat, carry the same ``startsAt``.
    """
    match = _RFC3339_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0").ljust(6, "0")[:6])
    tz = UTC if zone in ("Z", "z") else _offset(zone)
    if tz is None:
        return None
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def check_labels(
    labels: Mapping[str, str], *, where: str, limits: IngestLimits, allow_empty: bool = False
) -> None:
    """Reject label sets Prometheus would refuse or that exceed the limits."""
    if not labels and not allow_empty:
        raise ItemRejectedError(f"{where}: at least one label is required")
    if len(labels) > limits.max_labels:
        raise ItemRejectedError(f"{where}: {len(labels)} labels, more than {limits.max_labels}")
    check_names_and_values(labels, where=where, max_value=limits.max_label_value)


_GOOD_NAMES: set[str] = set()
"""Label names already found valid: a storm repeats the same few dozen names."""
_GOOD_NAMES_KEPT = 4096


def check_names_and_values(pairs: Mapping[str, str], *, where: str, max_value: int) -> None:
    """Reject names that are not label names and values longer than ``max_value``."""
    if _GOOD_NAMES.issuperset(pairs) and max(map(len, pairs.values()), default=0) <= max_value:
        return  # the usual case, decided without a Python loop
    for name, value in pairs.items():
        if name not in _GOOD_NAMES:
            if LABEL_NAME_RE.fullmatch(name) is None:
                raise ItemRejectedError(
                    f"{location(where, [name])}: name must match [a-zA-Z_][a-zA-Z0-9_]*"
                )
            if len(_GOOD_NAMES) < _GOOD_NAMES_KEPT:
                _GOOD_NAMES.add(name)
        if len(value) > max_value:
            raise ItemRejectedError(
                f"{location(where, [name])}: {len(value)} characters, more than {max_value}"
            )


def check_order(starts_at: datetime, ends_at: datetime | None, *, where: str) -> None:
    """Reject an alert that ends before it starts (Alertmanager refuses those too)."""
    if ends_at is not None and ends_at < starts_at:
        raise ItemRejectedError(f"{where}: before the start time")


def validation_rejection(prefix: str, error: ValidationError) -> ItemRejectedError:
    """Turn pydantic's errors about one item into a rejection of that item."""
    return ItemRejectedError(describe_validation_error(prefix, error))


def collect(
    items: Sequence[Item], *, key: str, convert: Callable[[Item, str], Alert], meta: BatchMeta
) -> ParsedBatch:
    """Convert every item with ``convert(item, location)``, keeping rejections apart."""
    alerts: list[Alert] = []
    rejected: list[RejectedItem] = []
    for index, raw in enumerate(items):
        try:
            alerts.append(convert(raw, f"{key}[{index}]"))
        except ItemRejectedError as exc:
            rejected.append(RejectedItem(index=index, reason=str(exc)))
    return ParsedBatch(alerts=tuple(alerts), rejected=tuple(rejected), meta=meta)


def link_or_none(url: str | None) -> str | None:
    """Keep only http(s) links: they are rendered as links in the UI and in Slack."""
    if url and _LINK_RE.match(url):
        return url
    return None


def _offset(zone: str) -> timezone | None:
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _human(delta: timedelta) -> str:
    if delta % timedelta(days=1) == timedelta(0):
        days = delta // timedelta(days=1)
        return "1 day" if days == 1 else f"{days} days"
    return str(delta)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
