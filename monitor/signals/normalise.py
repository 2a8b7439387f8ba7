"""Customer signals as they arrive: one JSON object or CSV row → a validated draft.

A signal is what one customer told the company: a complaint to the contact
centre, a support ticket, an app-store review, a social-media mention or a
survey answer. Fields (unknown fields are refused, so typos are caught)::

    {"source": "zendesk", "time": "2025-03-15T12:05:08Z", "channel": "chat",
     "text": "Carte refusée, j'ai essayé 3 fois", "score": 3, "score_kind": "csat",
     "touchpoint": "card-payments", "customer": "C021719"}

``source`` (required)
    The system the signal comes from, lower case ``[a-z0-9][a-z0-9_.-]*``.
``time`` (required)
    When the customer spoke, RFC 3339 with a time zone. Imports of files
    written without one (the simulator's contact-centre log) read it as UTC.
``channel`` (required)
    How the customer spoke: ``phone``, ``email``, ``chat``, ``social``,
    ``app-store``, ``survey``… (same pattern as ``source``).
``text``
    What the customer said; kept only for the retention period.
``score``, ``score_kind``
    A survey answer: ``nps`` 0–10 or ``csat`` 1–5. Both or neither.
``touchpoint``
    A catalog touchpoint id, when the sender knows it; otherwise the
    attribution rules find one from the text.
``customer``
    The sender's customer reference. It never reaches the database: the
    monitor keeps only its keyed pseudonym.

At least one of ``text`` and ``score`` is required: a signal that says
nothing cannot be attributed or counted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.domain import ScoreKind
from monitor.errors import InputError

FIELDS = frozenset(
    {"source", "time", "channel", "text", "score", "score_kind", "touchpoint", "customer"}
)
MAX_TEXT = 8000
"""Characters of free text kept per signal (a long e-mail is cut, not refused)."""
MAX_CUSTOMER = 256
MAX_FUTURE = timedelta(minutes=10)
"""A signal from further in the future is a broken clock, not a customer."""
MIN_TIME = datetime(2000, 1, 1, tzinfo=UTC)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_DIGITS = re.compile(r"[0-9]{1,9}")  # not str.isdigit(): "²" is a digit that int() refuses
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SCORE_RANGE = {ScoreKind.NPS: (0, 10), ScoreKind.CSAT: (1, 5)}


@dataclass(frozen=True)
class SignalDraft:
    """A validated signal before pseudonymisation and attribution.

    ``customer`` holds the raw reference only in memory, between the door and
    the keyed hash; nothing may log or store a draft as it is.
    """

    source: str
    occurred_at: datetime
    channel: str
    text: str | None
    score: int | None
    score_kind: ScoreKind | None
    touchpoint: str | None
    customer: str | None

    def __repr__(self) -> str:
        # Keep the customer reference and the text out of tracebacks and logs.
        return (
            f"SignalDraft(source={self.source!r}, occurred_at={self.occurred_at.isoformat()}, "
            f"channel={self.channel!r}, touchpoint={self.touchpoint!r})"
        )


def parse_signal(
    raw: object,
    *,
    where: str,
    now: datetime,
    touchpoints: Collection[str],
    naive_is_utc: bool = False,
) -> SignalDraft:
    """Validate one signal object; InputError names the location of the first problem."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: expected an object, got {_json_type(raw)}")
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise InputError(f"{where}.{_without_lone_surrogates(unknown[0][:40])}: unknown field")
    source = _name(raw, "source", where=where)
    channel = _name(raw, "channel", where=where)
    occurred_at = parse_time(
        _required_str(raw, "time", where=where),
        where=f"{where}.time",
        now=now,
        naive_is_utc=naive_is_utc,
    )
    text = _optional_str(raw, "text", where=where)
    if text is not None:
        text = text.strip()[:MAX_TEXT] or None
    score, kind = _score(raw, where=where)
    if text is None and score is None:
        raise InputError(f"{where}: a signal needs `text` or `score`")
    touchpoint = _optional_str(raw, "touchpoint", where=where)
    if touchpoint is not None and touchpoint not in touchpoints:
        raise InputError(f"{where}.touchpoint: {touchpoint[:64]!r} is not a catalog touchpoint")
    customer = _optional_str(raw, "customer", where=where)
    if customer is not None:
        customer = customer.strip()
        if not customer or len(customer) > MAX_CUSTOMER:
            raise InputError(f"{where}.customer: must be 1 to {MAX_CUSTOMER} characters")
    return SignalDraft(
        source=source,
        occurred_at=occurred_at,
        channel=channel,
        text=text,
        score=score,
        score_kind=kind,
        touchpoint=touchpoint,
        customer=customer,
    )


def parse_time(value: str, *, where: str, now: datetime, naive_is_utc: bool) -> datetime:
    """An aware UTC time from RFC 3339 (or zone-less text when ``naive_is_utc``)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
        if parsed.tzinfo is None and naive_is_utc:
            parsed = parsed.replace(tzinfo=UTC)
        if parsed.tzinfo is None:
            raise InputError(f"{where}: needs a time zone (Z or +01:00)")
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(f"{where}: not a RFC 3339 time") from None
    if parsed < MIN_TIME:
        raise InputError(f"{where}: before {MIN_TIME.year}, not a plausible time")
    if parsed > now + MAX_FUTURE:
        raise InputError(f"{where}: in the future")
    return parsed


def _name(raw: Mapping[object, object], key: str, *, where: str) -> str:
    value = _required_str(raw, key, where=where).strip().lower()
    if not _NAME.match(value):
        raise InputError(f"{where}.{key}: must match [a-z0-9][a-z0-9_.-]*, at most 63 characters")
    return value


def _required_str(raw: Mapping[object, object], key: str, *, where: str) -> str:
    value = _optional_str(raw, key, where=where)
    if value is None or not value.strip():
        raise InputError(f"{where}.{key}: required")
    return value


def _optional_str(raw: Mapping[object, object], key: str, *, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}.{key}: expected a string, got {_json_type(value)}")
    return _without_lone_surrogates(value) if value.strip() else None


def _without_lone_surrogates(text: str) -> str:
    """``text`` with lone surrogates (legal as JSON escapes, not in UTF-8) made U+FFFD.

    As the ingest parsers do: what follows hashes, stores and answers in UTF-8.
    """
    return _LONE_SURROGATE.sub("\ufffd", text)


def _score(raw: Mapping[object, object], *, where: str) -> tuple[int | None, ScoreKind | None]:
    score, kind_text = raw.get("score"), _optional_str(raw, "score_kind", where=where)
    if score is None and kind_text is None:
        return None, None
    if score is None or kind_text is None:
        raise InputError(f"{where}.score: `score` and `score_kind` go together")
    if isinstance(score, str) and _DIGITS.fullmatch(score.strip()):
        score = int(score.strip())  # CSV cells are text
    if isinstance(score, bool) or not isinstance(score, int):
        raise InputError(f"{where}.score: expected an integer, got {_json_type(score)}")
    try:
        kind = ScoreKind(kind_text.strip().lower())
    except ValueError:
        raise InputError(f"{where}.score_kind: must be `nps` or `csat`") from None
    low, high = _SCORE_RANGE[kind]
    if not low <= score <= high:
        raise InputError(f"{where}.score: {kind.value} scores go from {low} to {high}")
    return score, kind


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__
