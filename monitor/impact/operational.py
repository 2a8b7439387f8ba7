"""Operational data: the company's own records, where each transaction carries a customer id.

What was recorded is counted exactly (distinct customers with a failed
record in the window). What could not be recorded — requests lost before
they reached the recording service, or while its database was down — shows
as customers missing against the baseline: the distinct customers the same
window held in past weeks, minus those seen now. The statements come from
the catalog and are run with ``:start`` and ``:end`` bound, never formatted
into the SQL text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from monitor.domain import EstimatorSpec
from monitor.impact.ports import (
    OperationalData,
    QueryError,
    SourceUnavailableError,
    SqlValue,
    Window,
)
from monitor.impact.result import MethodResult
from monitor.impact.stats import Baseline, Quantity, Z, weekly_baseline

METHOD = "operational_sql"
DEFAULT_WEEKS = 4


class _Problem(Exception):  # noqa: N818 - a reason, not a failure of the program
    pass


def window_params(window: Window) -> dict[str, SqlValue]:
    """``:start`` and ``:end`` as naive UTC datetimes, as operational databases store them."""
    return {
        "start": window.start.astimezone(UTC).replace(tzinfo=None),
        "end": window.end.astimezone(UTC).replace(tzinfo=None),
    }


def run_count(data: OperationalData, statement: str, window: Window) -> float:
    """A counting statement's value over the window; _Problem when it errors or returns NULL."""
    try:
        value = data.scalar(statement, window_params(window))
    except QueryError as exc:
        raise _Problem(f"query failed ({exc}): {' '.join(statement.split())}") from exc
    if value is None:
        raise _Problem(f"query returned nothing: {' '.join(statement.split())}")
    return float(value)


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
        run_count(data, queries["failed_interactions"], window)
        if "failed_interactions" in queries
        else None
    )
    unrecorded, note, complete = _unrecorded(spec, window=window, data=data, quality=quality)
    inputs = f"{recorded:.0f} customers with a failed record{note}"
    share = _distinct_share(spec, window=window, data=data)
    if share is not None:
        inputs += f"; {share:.3f} distinct customers per recorded interaction in past weeks"
    if not complete:
        return MethodResult(
            METHOD,
            inputs=inputs,
            quality=(*quality, "records alone give a lower bound here"),
            floor=recorded,
            recorded_failures=rows,
            distinct_share=share,
        )
    affected = Quantity.exact(recorded).plus(unrecorded)
    failed: Quantity | None = None
    if rows is not None and unrecorded.high <= 0:
        failed = Quantity.exact(rows)
    elif rows is not None:
        quality.append("failed interactions of unrecorded customers unknown: not estimated")
    return MethodResult(
        METHOD,
        affected=affected,
        affected_so_far=affected,
        failed=failed,
        inputs=inputs,
        quality=tuple(quality),
        floor=recorded,
        recorded_failures=rows,
        distinct_share=share,
    )


def _unrecorded(
    spec: EstimatorSpec, *, window: Window, data: OperationalData, quality: list[str]
) -> tuple[Quantity, str, bool]:
    """Customers expected in the window who left no record at all; False when unknowable.

    Without a ``customers`` statement the catalog says every failure is
    recorded; with one but no past week to compare with, the records only
    give a lower bound.
    """
    query = spec.queries.get("customers")
    if not query:
        return Quantity.exact(0.0), "", True
    seen = run_count(data, query, window)
    base = _baseline(spec, window=window, data=data, query=query)
    if base is None:
        quality.append("no past week in the operational data: unrecorded customers unknown")
        return Quantity.exact(0.0), f", {seen:.0f} customers seen", False
    missing = base.expected - seen
    noise = math.hypot(base.sd, math.sqrt(max(seen, 1.0)))
    note = f", {seen:.0f} customers seen against {base.expected:.0f} expected ({base.method})"
    if missing <= Z * noise:
        # Within the noise: nobody is known to be missing, but some could be.
        return Quantity(0.0, 0.0, max(0.0, missing) + Z * noise), note, True
    quality.append(f"{missing:.0f} expected customers left no record: counted as affected")
    return Quantity(missing, max(0.0, missing - Z * noise), missing + Z * noise), note, True


def _baseline(
    spec: EstimatorSpec, *, window: Window, data: OperationalData, query: str
) -> Baseline | None:
    weeks = int(spec.params.get("history_weeks", DEFAULT_WEEKS))
    first = _first_record(spec, data)
    values: list[float] = []
    for k in range(1, weeks + 1):
        shift = timedelta(weeks=k)
        past = Window(window.start - shift, window.end - shift)
        if first is not None and past.start < first:
            continue
        values.append(run_count(data, query, past))
    return weekly_baseline(values)


def _distinct_share(spec: EstimatorSpec, *, window: Window, data: OperationalData) -> float | None:
    """Distinct customers per recorded interaction over past weeks' same window.

    A customer can start several interactions in a window; counters count
    interactions, so this ratio turns them into distinct customers.
    """
    customers, records = spec.queries.get("customers"), spec.queries.get("records")
    if not customers or not records:
        return None
    first = _first_record(spec, data)
    weeks = int(spec.params.get("history_weeks", DEFAULT_WEEKS))
    people = interactions = 0.0
    for k in range(1, weeks + 1):
        shift = timedelta(weeks=k)
        past = Window(window.start - shift, window.end - shift)
        if first is not None and past.start < first:
            continue
        people += run_count(data, customers, past)
        interactions += run_count(data, records, past)
    return min(1.0, people / interactions) if interactions > 0 else None


def _first_record(spec: EstimatorSpec, data: OperationalData) -> datetime | None:
    """When the records begin, so that weeks before them are not read as empty weeks."""
    query = spec.queries.get("first_record")
    if not query:
        return None
    try:
        rows = data.rows(query, {})
    except QueryError as exc:
        raise _Problem(f"query failed ({exc}): {' '.join(query.split())}") from exc
    if not rows or rows[0][0] is None:
        return None
    value = rows[0][0]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
