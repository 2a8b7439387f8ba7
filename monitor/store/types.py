"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time zones and no JSONB; these types make both engines hand back
timezone-aware UTC datetimes and plain JSON values, so repositories need no
per-dialect code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by SQLAlchemy
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """Text both databases accept: NUL and lone surrogates become U+FFFD.

    PostgreSQL refuses NUL in text and JSONB, and UTF-8 has no lone
    surrogates; both arrive from outside (labels, annotations, names), and
    refusing them would lose an alert for a cosmetic reason.
    """
    return _UNSTORABLE.sub("\ufffd", text)


def storable_json(value: Any) -> Any:
    """A JSON value with every string (keys included) made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


class SafeText(TypeDecorator[str]):
    """Text from outside, made storable on the way in."""

    impl = Text
    cache_ok = True

    def process_bind_param(
        self,
        value: str | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by SQLAlchemy
    ) -> str | None:
        return None if value is None else storable(value)


class SafeString(TypeDecorator[str]):
    """A bounded string from outside, made storable on the way in."""

    impl = String
    cache_ok = True

    def process_bind_param(
        self,
        value: str | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by SQLAlchemy
    ) -> str | None:
        return None if value is None else storable(value)


class SafeJSON(TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose strings are made storable on the way in."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(
        self,
        value: Any,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by SQLAlchemy
    ) -> Any:
        return storable_json(value)
