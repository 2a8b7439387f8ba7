"""Operational data: the company's own records, where each transaction carries a customer id.

What was recorded is counted exactly (distinct customers with a failed
record in the window). What could not be recorded — requests lost before
they reached the recording service, or while its database was down — shows
as customers missing against the baseline: the distinct customers the same
window held in past weeks, minus those seen now. The statements come from
the catalog and are run with ``:start`` and ``:end`` bound, never formatted
into the SQL text.

A counting statement must return one row: one that errors, returns no row
or several rows is named in ``quality`` and never read as a zero. Without
a usable ``failed_customers`` the method gives nothing and a weaker one is
used; the other statements only refine it, and each that cannot be used is
left out with a note. ``failed_customers_by_segment`` (rows of segment and
customers) lets the combined figure be split by customer segment;
``customers_by_segment`` over past weeks gives the touchpoint's usual mix,
for when the records of the window saw no failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from monitor.domain import EstimatorSpec
from monitor.impact.ports import (
    OperationalData,
    QueryError,
    SourceUnavailableError,
    SqlValue,
    Window,
)
from monitor.impact.result import MethodResult
from monitor.impact.stats import Baseline, Quantity, Z, spread, weekly_baseline

METHOD = "operational_sql"
DEFAULT_WEEKS = 4
T = TypeVar("T")


class _Problem(Exception):  # noqa: N818 - a reason, not a failure of the program
    pass


def window_params(window: Window) -> dict[str, SqlValue]:
    """``:start`` and ``:end`` as naive UTC datetimes, as operational databases store them."""
    return {
        "start": window.start.astimezone(UTC).replace(tzinfo=None),
        "end": window.end.astimezone(UTC).replace(tzinfo=None),
    }


def run_count(data: OperationalData, statement: str, window: Window) -> float:
    """A counting statement's one value over the window.

    Raises _Problem, naming the statement, when it errors, returns no row,
    several rows where one was expected, NULL or something that is not a
    number: such a statement is never read as a zero.
    """
    text = _one_line(statement)
    rows = _rows(data, statement, window_params(window))
    if not rows:
        raise _Problem(f"query returned nothing: {text}")
    if len(rows) > 1:
        raise _Problem(f"query returned {len(rows)} rows where one was expected: {text}")
    value = rows[0][0] if rows[0] else None
    if value is None:
        raise _Problem(f"query returned NULL: {text}")
    return _number(value, text)


def _rows(
    data: OperationalData, statement: str, params: Mapping[str, SqlValue]
) -> Sequence[tuple[object, ...]]:
    try:
        return data.rows(statement, params)
    except QueryError as exc:
        raise _Problem(f"query failed ({exc}): {_one_line(statement)}") from exc


def _number(value: object, text: str) -> float:
    try:
        number = float(value) if isinstance(value, int | float | Decimal) else float(str(value))
    except ValueError:
        raise _Problem(f"query returned {type(value).__name__}, not a number: {text}") from None
    if not math.isfinite(number):
        raise _Problem(f"query returned {number}, not a count: {text}")
    return number


def _one_line(statement: str) -> str:
    return " ".join(statement.split())


def estimate_operational(
    spec: EstimatorSpec, *, window: Window, data: OperationalData
) -> MethodResult:
    """Affected customers (and failed interactions) from the operational records."""
    try:
        return _estimate(spec, window=window, data=data)
    except SourceUnavailableError as exc:
        return MethodResult(METHOD, quality=(f"operational database unreachable: {exc}",))
    except _Problem as exc:
        return MethodResult(METHOD, quality=(str(exc),))


def _estimate(spec: EstimatorSpec, *, window: Window, data: OperationalData) -> MethodResult:
    queries = spec.queries
    if "failed_customers" not in queries:
        return MethodResult(METHOD, quality=("operational_sql needs a 'failed_customers' query",))
    quality: list[str] = []
    recorded = run_count(data, queries["failed_customers"], window)
    rows = (
        _optional(quality, lambda: run_count(data, queries["failed_interactions"], window))
        if "failed_interactions" in queries
        else None
    )
    first = _optional(quality, lambda: _first_record(spec, data))
    unrecorded, note, complete, normal = _unrecorded(
        spec, window=window, data=data, first=first, quality=quality
    )
    inputs = f"{recorded:.0f} customers with a failed record{note}"
    share = _optional(quality, lambda: _distinct_share(spec, window=window, data=data, first=first))
    if share is not None:
        inputs += f"; {share:.3f} distinct customers per recorded interaction in past weeks"
    segments = _optional(
        quality, lambda: _segment_counts(spec, "failed_customers_by_segment", [window], data)
    )
    mix = _optional(
        quality,
        lambda: _segment_counts(
            spec, "customers_by_segment", _past_windows(spec, window, first), data
        ),
    )
    found = MethodResult(
        METHOD,
        inputs=inputs,
        floor=recorded,
        recorded_failures=rows,
        distinct_share=share,
        distinct=True,
        normal=normal,
        segment_counts=segments,
        segment_mix=mix,
    )
    if not complete:
        quality.append("records alone give a lower bound here")
        return replace(found, quality=tuple(quality))
    affected = Quantity.exact(recorded).plus(unrecorded)
    failed: Quantity | None = None
    if rows is not None and unrecorded.high <= 0:
        failed = Quantity.exact(rows)
    elif rows is not None:
        quality.append("failed interactions of unrecorded customers unknown: not estimated")
    return replace(
        found, affected=affected, affected_so_far=affected, failed=failed, quality=tuple(quality)
    )


def _optional(quality: list[str], read: Callable[[], T]) -> T | None:
    """An optional statement's answer; its problem becomes a quality note and None."""
    try:
        return read()
    except _Problem as exc:
        quality.append(f"{exc} (not used)")
        return None


def _unrecorded(
    spec: EstimatorSpec,
    *,
    window: Window,
    data: OperationalData,
    first: datetime | None,
    quality: list[str],
) -> tuple[Quantity, str, bool, Quantity | None]:
    """Customers expected in the window who left no record at all; False when unknowable.

    Without a ``customers`` statement the catalog says every failure is
    recorded; with one but no past week to compare with (or a statement that
    cannot be used), the records only give a lower bound. Also returns the
    customers the window usually has, when past weeks tell.
    """
    query = spec.queries.get("customers")
    if not query:
        return Quantity.exact(0.0), "", True, None
    try:
        seen = run_count(data, query, window)
        base = _baseline(spec, window=window, data=data, query=query, first=first)
    except _Problem as exc:
        quality.append(f"{exc} (unrecorded customers unknown)")
        return Quantity.exact(0.0), "", False, None
    if base is None:
        quality.append("no past week in the operational data: unrecorded customers unknown")
        return Quantity.exact(0.0), f", {seen:.0f} customers seen", False, None
    normal = spread(base.expected, sd=base.sd)
    missing = base.expected - seen
    noise = math.hypot(base.sd, math.sqrt(max(seen, 1.0)))
    note = f", {seen:.0f} customers seen against {base.expected:.0f} expected ({base.method})"
    if missing <= Z * noise:
        # Within the noise: nobody is known to be missing, but some could be.
        return Quantity(0.0, 0.0, max(0.0, missing) + Z * noise), note, True, normal
    quality.append(f"{missing:.0f} expected customers left no record: counted as affected")
    unrecorded = Quantity(missing, max(0.0, missing - Z * noise), missing + Z * noise)
    return unrecorded, note, True, normal


def _past_windows(spec: EstimatorSpec, window: Window, first: datetime | None) -> list[Window]:
    """The same window in each past week that lies after the records begin."""
    weeks = int(spec.params.get("history_weeks", DEFAULT_WEEKS))
    found: list[Window] = []
    for k in range(1, weeks + 1):
        shift = timedelta(weeks=k)
        past = Window(window.start - shift, window.end - shift)
        if first is None or past.start >= first:
            found.append(past)
    return found


def _baseline(
    spec: EstimatorSpec,
    *,
    window: Window,
    data: OperationalData,
    query: str,
    first: datetime | None,
) -> Baseline | None:
    values = [run_count(data, query, past) for past in _past_windows(spec, window, first)]
    return weekly_baseline(values)


def _distinct_share(
    spec: EstimatorSpec, *, window: Window, data: OperationalData, first: datetime | None
) -> float | None:
    """Distinct customers per recorded interaction over past weeks' same window.

    A customer can start several interactions in a window; counters count
    interactions, so this ratio turns them into distinct customers.
    """
    customers, records = spec.queries.get("customers"), spec.queries.get("records")
    if not customers or not records:
        return None
    people = interactions = 0.0
    for past in _past_windows(spec, window, first):
        people += run_count(data, customers, past)
        interactions += run_count(data, records, past)
    return min(1.0, people / interactions) if interactions > 0 else None


def _segment_counts(
    spec: EstimatorSpec, role: str, windows: Sequence[Window], data: OperationalData
) -> dict[str, float] | None:
    """Customers per segment from the ``role`` statement, summed over ``windows``.

    The statement returns ``(segment, customers)`` rows; a segment named
    twice is summed, and a row of another shape makes the statement unusable.
    """
    query = spec.queries.get(role)
    if not query or not windows:
        return None
    text = _one_line(query)
    counts: dict[str, float] = {}
    for window in windows:
        for row in _rows(data, query, window_params(window)):
            if len(row) != 2 or row[0] is None:
                raise _Problem(
                    f"query returned a row of {len(row)} columns where (segment, customers) "
                    f"was expected: {text}"
                )
            count = 0.0 if row[1] is None else _number(row[1], text)
            counts[str(row[0])] = counts.get(str(row[0]), 0.0) + count
    return counts


def _first_record(spec: EstimatorSpec, data: OperationalData) -> datetime | None:
    """When the records begin, so that weeks before them are not read as empty weeks."""
    query = spec.queries.get("first_record")
    if not query:
        return None
    rows = _rows(data, query, {})
    if not rows or not rows[0] or rows[0][0] is None:
        return None
    if len(rows) > 1:
        raise _Problem(
            f"query returned {len(rows)} rows where one was expected: {_one_line(query)}"
        )
    value = rows[0][0]
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _Problem(f"query returned {value!r}, not a time: {_one_line(query)}") from None
    if not isinstance(value, datetime):
        raise _Problem(f"query returned {type(value).__name__}, not a time: {_one_line(query)}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)
