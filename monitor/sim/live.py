"""Replay a scenario on the wall clock: ``/metrics`` to scrape, a DB that fills as time passes.

The scenario is simulated in full first (it takes seconds), rebased so that
the live part starts now, then replayed minute by minute: each simulated
minute lasts ``60 / speed`` seconds. The exporter shows the cumulative
counters of the current minute and the operational database receives the
rows whose time has come, so the chain alert → monitor → estimate can be
watched as the faults fire. The ground truth of the whole simulation can be
written up front (``truth_path``), for tests to compare estimates with.

The replay keeps the rebased timestamps on the wall clock: minute ``begin``
started at the whole minute before now, so the first replayed minute is
shortened by the seconds already gone, and at speed 1 a row stamped ``t`` is
written and counted at wall-clock time ``t``, as a monitor's windows expect.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import create_engine
from sqlalchemy.schema import CreateIndex, CreateTable

from monitor.sim.generate import SimResult, simulate
from monitor.sim.opdb import OpBase, OpRows
from monitor.sim.openmetrics import Family, families
from monitor.sim.scenario import Scenario
from monitor.sim.truth import write_truth

_TIME_COLUMN = {
    "transactions": 3,
    "payruns": 3,
    "bookings": 3,
    "checkin_events": 2,
    "overdraft_events": 1,
    "notifications": 3,
    "batch_runs": 1,
    "complaints": 1,
    "surveys": 1,
}
"""Position of the column that says when a row was written, per table."""


class ReplayCollector(Collector):
    """Exposes the families' values at the current minute of the replay.

    A minute's counts are stamped at its end (as in the backfilled history),
    so while a minute is being replayed its counters and histograms climb
    from the previous minute's value to its own in proportion to the time
    gone; a window of wall-clock time then holds the requests of that time,
    not those of the minute ahead. Gauges show the current minute's value.
    """

    def __init__(self, fams: Sequence[Family]) -> None:
        self.fams = fams
        self.at = (0, 0.0)
        """The current minute and the ``time.monotonic()`` it started at, set together."""
        self.tick = 0.0
        """Wall-clock seconds per simulated minute; 0 shows whole minutes at once."""

    def collect(self) -> Iterator[Metric]:
        """One metric per family, with each series' value at the current minute."""
        minute, began = self.at
        done = min(1.0, max(0.0, (time.monotonic() - began) / self.tick)) if self.tick else 1.0
        for fam in self.fams:
            metric = Metric(fam.name, fam.help, fam.kind)
            climbs = fam.kind in ("counter", "histogram")
            for sample, series in fam.series:
                if series.first <= minute < len(series.values):
                    value = float(series.values[minute])
                    if climbs and done < 1.0:
                        before = float(series.values[minute - 1]) if minute > series.first else 0.0
                        value = before + (value - before) * done
                    metric.add_sample(sample, dict(series.labels), value)
            yield metric


@dataclass
class LivePlan:
    """A rebased scenario ready to replay from minute ``begin``."""

    result: SimResult
    begin: int


def prepare(scenario: Scenario, *, lead: timedelta, now: datetime | None = None) -> LivePlan:
    """Simulate the scenario rebased so that ``lead`` before its first fault is now."""
    faults = scenario.spec.faults
    first = min((f.at for f in faults), default=timedelta(0))
    begin = max(timedelta(0), first - lead)
    clock = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    rebased = scenario.with_changes(start=clock - begin)
    return LivePlan(result=simulate(rebased), begin=int(begin.total_seconds() // 60))


def run_live(
    scenario: Scenario,
    *,
    db_path: Path,
    port: int,
    speed: float = 1.0,
    lead: timedelta = timedelta(minutes=5),
    minutes: int | None = None,
    truth_path: Path | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Serve ``/metrics`` on ``port`` and fill ``db_path`` as the scenario unfolds.

    With ``truth_path``, the ground truth of the simulated history (every
    fault, rebased like the replay) is written there before the replay starts.
    """
    plan = prepare(scenario, lead=lead)
    result = plan.result
    if truth_path is not None:
        write_truth(truth_path, result.truth)
    fams = families(result.metrics, catalog=scenario.catalog, plan=result.plan)
    collector = ReplayCollector(fams)
    registry = CollectorRegistry()
    registry.register(collector)
    server, thread = start_http_server(port, registry=registry)
    engine = create_engine(f"sqlite:///{db_path}")
    db_path.unlink(missing_ok=True)
    pending = _schedule(result.rows)
    start = result.scenario.start.replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            for table in OpBase.metadata.sorted_tables:
                conn.execute(CreateTable(table))
                for index in table.indexes:
                    conn.execute(CreateIndex(index))
        stop = (
            result.metrics.minutes
            if minutes is None
            else min(result.metrics.minutes, plan.begin + minutes)
        )
        tick = 60.0 / speed
        begun = datetime.now(UTC) - (start + timedelta(minutes=plan.begin)).replace(tzinfo=UTC)
        t0 = time.monotonic() - max(0.0, begun.total_seconds()) / speed
        say(f"serving /metrics on :{port}; {stop - plan.begin} simulated minutes at x{speed}")
        collector.tick = tick
        for minute in range(plan.begin, stop):
            collector.at = (minute, t0 + (minute - plan.begin) * tick)
            now_text = (start + timedelta(minutes=minute + 1)).strftime("%Y-%m-%d %H:%M:%S.999999")
            _flush(engine, pending, until=now_text)
            for fault in result.plan.faults:
                if int(fault.start_s // 60) == minute:
                    say(f"{now_text[:16]} {fault.id} starts: {fault.kind} on {fault.component}")
                if int(fault.end_s // 60) == minute:
                    say(f"{now_text[:16]} fault {fault.id} ends")
            delay = t0 + (minute - plan.begin + 1) * tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except KeyboardInterrupt:
        say("stopped")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        engine.dispose()


def _schedule(rows: OpRows) -> dict[str, list[Any]]:
    """Rows per table, with their ids, sorted by when they were written."""
    pending: dict[str, list[Any]] = {}
    for table, data in rows.tables():
        column = _TIME_COLUMN.get(table.name)
        if table.name == "customers":
            items = [tuple(r) for r in data]
        else:
            items = [(i + 1, *r) for i, r in enumerate(data)]
        if column is not None:
            at = column + 1
            items.sort(key=lambda r: str(r[at]))
        pending[table.name] = items
    return pending


def _flush(engine: Any, pending: dict[str, list[Any]], *, until: str) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table in OpBase.metadata.sorted_tables:
            items = pending.get(table.name, [])
            column = _TIME_COLUMN.get(table.name)
            cut = len(items)
            if column is not None:
                cut = next((i for i, r in enumerate(items) if str(r[column + 1]) > until), cut)
            if cut:
                names = [c.name for c in table.columns]
                marks = ", ".join("?" * len(names))
                sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, items[:cut])
                del items[:cut]
        raw.commit()
    finally:
        raw.close()
