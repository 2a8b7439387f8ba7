"""Replay a scenario on the wall clock: ``/metrics`` to scrape, a DB that fills as time passes.

The scenario is simulated in full first (it takes seconds), rebased so that
the live part starts now, then replayed minute by minute: each simulated
minute lasts ``60 / speed`` seconds. The exporter shows the cumulative
counters of the current minute and the operational database receives the
rows whose time has come, so the chain alert → monitor → estimate can be
watched as the faults fire.
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

_TIME_COLUMN = {
    "transactions": 3,
    "payruns": 3,
    "bookings": 3,
    "checkin_events": 2,
    "overdraft_events": 1,
    "notifications": 3,
    "batch_runs": 1,
    "complaints": 1,
}
"""Position of the column that says when a row was written, per table."""


class ReplayCollector(Collector):
    """Exposes the families' values at the current minute of the replay."""

    def __init__(self, fams: Sequence[Family]) -> None:
        self.fams = fams
        self.minute = 0

    def collect(self) -> Iterator[Metric]:
        """One metric per family, with each series' value at the current minute."""
        for fam in self.fams:
            metric = Metric(fam.name, fam.help, fam.kind)
            for sample, series in fam.series:
                if series.first <= self.minute < len(series.values):
                    metric.add_sample(
                        sample, dict(series.labels), float(series.values[self.minute])
                    )
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
    say: Callable[[str], None] = print,
) -> None:
    """Serve ``/metrics`` on ``port`` and fill ``db_path`` as the scenario unfolds."""
    plan = prepare(scenario, lead=lead)
    result = plan.result
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
        t0 = time.monotonic()
        say(f"serving /metrics on :{port}; {stop - plan.begin} simulated minutes at x{speed}")
        for minute in range(plan.begin, stop):
            collector.minute = minute
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
