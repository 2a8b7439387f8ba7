"""A summary of every incident of a period: customers affected, outage minutes, handling times.

Per touchpoint: how many incidents touched it, the sum of their affected
customers (estimates and interval bounds added up; a customer hit by two
incidents counts twice) and the minutes it spent in each non-operational
state, from the touchpoint state periods clipped to the period. Per
incident, the handling times of its report, so that the trend of
time-to-communicate shows week by week.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.catalog import Catalog
from monitor.report.assemble import build_report
from monitor.report.model import Figure, Report
from monitor.store import UnitOfWork

MAX_INCIDENTS = 2000


@dataclass(frozen=True)
class IncidentLine:
    """One incident of the period, in a line."""

    incident_id: int
    title: str
    opened_at: datetime
    severity: str
    state: str
    estimate_status: str
    affected: Figure | None
    time_to_acknowledge: timedelta | None
    time_to_communicate: timedelta | None
    time_to_resolve: timedelta | None


@dataclass(frozen=True)
class TouchpointLine:
    """One touchpoint over the period."""

    touchpoint: str
    name: str
    incidents: int
    affected: Figure | None
    outage_minutes: dict[str, float] = field(default_factory=dict)
    """Minutes per non-operational state (``under_maintenance`` included, shown apart)."""


@dataclass(frozen=True)
class WeekLine:
    """Handling times of the incidents opened in one ISO week."""

    week: str
    incidents: int
    median_time_to_communicate: timedelta | None
    median_time_to_resolve: timedelta | None


@dataclass(frozen=True)
class PeriodSummary:
    """All incidents opened in [since, until)."""

    company: str
    since: datetime
    until: datetime
    incidents: tuple[IncidentLine, ...]
    touchpoints: tuple[TouchpointLine, ...]
    weeks: tuple[WeekLine, ...]


def period_summary(
    uow: UnitOfWork, *, catalog: Catalog, since: datetime, until: datetime, now: datetime
) -> PeriodSummary:
    """The summary of the incidents opened in [since, until), as the store holds them at ``now``."""
    incidents = [
        i
        for i in uow.incidents.page(opened_from=since, opened_to=until, limit=MAX_INCIDENTS)
        if i.merged_into is None
    ]
    reports = sorted(
        (build_report(uow, catalog=catalog, incident_id=i.id, now=now) for i in incidents),
        key=lambda r: (r.opened_at, r.incident_id),
    )
    minutes = _outage_minutes(uow, since=since, until=min(until, now))
    touched = {i.touchpoint for r in reports for i in r.impacts} | set(minutes)
    lines = [
        TouchpointLine(
            touchpoint=tp,
            name=catalog.touchpoints[tp].name if tp in catalog.touchpoints else tp,
            incidents=sum(1 for r in reports if any(i.touchpoint == tp for i in r.impacts)),
            affected=_sum(
                [
                    i.affected
                    for r in reports
                    for i in r.impacts
                    if i.touchpoint == tp and i.affected
                ]
            ),
            outage_minutes=minutes.get(tp, {}),
        )
        for tp in sorted(touched)
    ]
    return PeriodSummary(
        company=catalog.company,
        since=since,
        until=until,
        incidents=tuple(_line(r) for r in reports),
        touchpoints=tuple(lines),
        weeks=_weeks(reports),
    )


def _line(report: Report) -> IncidentLine:
    durations = report.milestones.durations
    return IncidentLine(
        incident_id=report.incident_id,
        title=report.title,
        opened_at=report.opened_at,
        severity=report.severity,
        state=report.state,
        estimate_status=report.estimate_status,
        affected=_sum([i.affected for i in report.impacts if i.affected]),
        time_to_acknowledge=durations.acknowledge,
        time_to_communicate=durations.communicate,
        time_to_resolve=durations.resolve,
    )


def _sum(figures: list[Figure]) -> Figure | None:
    if not figures:
        return None
    return Figure(
        estimate=sum(f.estimate for f in figures),
        low=sum(f.low for f in figures),
        high=sum(f.high for f in figures),
        level=min(f.level for f in figures),
    )


def _outage_minutes(
    uow: UnitOfWork, *, since: datetime, until: datetime
) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for period in uow.touchpoints.periods(since=since):
        start, end = max(period.since, since), min(period.until or until, until)
        if end <= start:
            continue
        by_state = found.setdefault(period.touchpoint, {})
        key = period.state.value
        by_state[key] = by_state.get(key, 0.0) + (end - start).total_seconds() / 60
    return found


def _weeks(reports: list[Report]) -> tuple[WeekLine, ...]:
    weeks: dict[str, list[Report]] = {}
    for report in reports:
        year, week, _ = report.opened_at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", []).append(report)
    return tuple(
        WeekLine(
            week=week,
            incidents=len(items),
            median_time_to_communicate=_median([r.milestones.durations.communicate for r in items]),
            median_time_to_resolve=_median([r.milestones.durations.resolve for r in items]),
        )
        for week, items in sorted(weeks.items())
    )


def _median(values: list[timedelta | None]) -> timedelta | None:
    known = [v.total_seconds() for v in values if v is not None]
    return timedelta(seconds=statistics.median(known)) if known else None
