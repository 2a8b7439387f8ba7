"""What the impact stage needs from the outside world, as Protocols, and how it fails.

The estimators never talk to Prometheus or a database themselves: they are
handed a ``MetricsSource`` and an ``OperationalData`` (``monitor.sources``
has the real ones; tests may use the simulator's embedded query API, which
speaks Prometheus's HTTP API). Both raise ``SourceUnavailableError`` when
the server cannot be reached, and ``QueryError`` when it answers with an
error, so that an estimator can say which of the two happened in its
quality notes and fall back to a weaker method.

    MonitorError
    └── ImpactSourceError
        ├── SourceUnavailableError     the server cannot be reached or timed out
        └── QueryError                 the server refused the query (syntax, unknown table…)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from monitor.errors import MonitorError


class ImpactSourceError(MonitorError):
    """A metrics or operational data source could not answer."""


class SourceUnavailableError(ImpactSourceError):
    """The source cannot be reached (connection refused, timeout, 5xx)."""


class QueryError(ImpactSourceError):
    """The source answered, but refused the query (bad PromQL or SQL, unknown name)."""


@dataclass(frozen=True)
class RangeSeries:
    """One series of a range query: its labels and its points (Unix seconds → value)."""

    labels: Mapping[str, str]
    points: Mapping[float, float]


class MetricsSource(Protocol):
    """Prometheus, as the estimators use it: explicit times, plain floats."""

    def instant(self, query: str, *, at: datetime) -> list[float]:
        """Evaluate ``query`` at ``at``; one value per series of the result."""
        ...

    def range(
        self, query: str, *, start: datetime, end: datetime, step_seconds: float
    ) -> list[RangeSeries]:
        """Evaluate ``query`` at ``start``, ``start + step``, … ≤ ``end``; one entry per series."""
        ...


SqlValue = str | int | float | datetime | None


class OperationalData(Protocol):
    """The company's operational database, read-only, through catalog statements."""

    def scalar(self, statement: str, params: Mapping[str, SqlValue]) -> float | None:
        """Run one statement with bound parameters; the first column of its one row.

        None when it returns no row or NULL; QueryError when several rows.
        """
        ...

    def rows(self, statement: str, params: Mapping[str, SqlValue]) -> Sequence[tuple[object, ...]]:
        """Run one statement with bound parameters; every row."""
        ...


@dataclass(frozen=True)
class Window:
    """The stretch of time an estimate covers: ``[start, end)``, timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return (self.end - self.start).total_seconds()

    def utc(self) -> Window:
        """The same window expressed in UTC."""
        return Window(self.start.astimezone(UTC), self.end.astimezone(UTC))
