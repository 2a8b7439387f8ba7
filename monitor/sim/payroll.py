"""The payroll bureau: pay runs, cut-off times, and the batch chain that pays people.

Monthly staff are paid on the 25th (the Friday before when it falls on a
weekend), weekly staff on Fridays. Employers submit until the cut-off
(17:00 the business day before pay day for monthly runs, Wednesday for weekly
ones); the chain calculator → scheduler → bank-file exporter starts three
hours later and is retried every hour. If the bank file has not left by
06:00 on pay day, the employees are not paid on pay day.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta

from monitor.sim.engine import SimContext
from monitor.sim.faults import SUCCESS
from monitor.sim.topology import Route, node_routes, regions_of
from monitor.sim.world import Employer

JOBS = ("payroll-calculator", "payrun-scheduler", "bank-file-exporter")
TOUCHPOINT = {"monthly": "payroll-monthly-run", "weekly": "payroll-weekly-run"}
PIPELINE_DELAY = 3 * 3600.0
RETRY_EVERY = 3600.0
PAY_HOUR = 6


def pay_dates(start: datetime, end: datetime, frequency: str) -> list[datetime]:
    """Pay days (midnight, naive) from a week before ``start`` to ten days after ``end``."""
    first = (start - timedelta(days=7)).replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0
    )
    last = end.replace(tzinfo=None) + timedelta(days=10)
    days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
    if frequency == "weekly":
        return [d for d in days if d.weekday() == 4]
    found: list[datetime] = []
    for d in days:
        target = d.replace(day=25)
        while target.weekday() >= 5:
            target -= timedelta(days=1)
        if d == target:
            found.append(d)
    return found


def cutoff_for(pay_date: datetime, frequency: str) -> datetime:
    """17:00 on the cut-off day of a pay date."""
    if frequency == "weekly":
        return pay_date - timedelta(days=2) + timedelta(hours=17)
    day = pay_date - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day + timedelta(hours=17)


def run_payroll(ctx: SimContext, employers: list[Employer]) -> None:
    """Create the pay runs due in the history and play their batch chains."""
    jobs = [j for j in JOBS if j in ctx.catalog.components]
    region = regions_of(ctx.catalog)[0]
    routes = {j: node_routes(ctx.catalog, j, region) for j in jobs}
    rng = ctx.rng("payroll")
    start = ctx.clock.start
    groups: dict[datetime, list[tuple[int, Employer, datetime]]] = defaultdict(list)
    for frequency in ("monthly", "weekly"):
        staff = [e for e in employers if e.frequency == frequency]
        for pay_date in pay_dates(start, ctx.clock.at(ctx.end_s), frequency):
            cutoff = cutoff_for(pay_date, frequency)
            if not 0 <= (cutoff - start).total_seconds() < ctx.end_s:
                continue
            for employer in staff:
                ctx.rows.payruns.append(
                    [ctx.customers.ids[employer.customer], frequency, pay_date.date().isoformat(),
                     ctx.clock.db((cutoff - start).total_seconds()), "scheduled", None]
                )  # fmt: skip
                groups[cutoff].append((len(ctx.rows.payruns), employer, pay_date))
    for cutoff in sorted(groups):
        _run_group(ctx, rng=rng, jobs=jobs, routes=routes, cutoff=cutoff, runs=groups[cutoff])


def _run_group(
    ctx: SimContext,
    *,
    rng: random.Random,
    jobs: list[str],
    routes: dict[str, tuple[Route, ...]],
    cutoff: datetime,
    runs: list[tuple[int, Employer, datetime]],
) -> None:
    start = ctx.clock.start
    items = sum(len(e.employees) for _, e, _ in runs)
    pay_date = runs[0][2]
    deadline = (pay_date + timedelta(hours=PAY_HOUR) - start).total_seconds()
    t = (cutoff - start).total_seconds() + PIPELINE_DELAY
    faults: dict[str, None] = {}
    exported_at: float | None = None
    while t < ctx.end_s and exported_at is None:
        clock = t
        for job in jobs:
            verdict = ctx.plan.batch_run(rng, route=rng.choice(routes[job]), t=clock)
            ok = verdict.outcome == SUCCESS
            ctx.metrics.batch_run(
                job, minute=int(clock // 60), ok=ok, items=items, epoch_s=ctx.clock.epoch(clock)
            )
            ctx.rows.batch_runs.append((job, ctx.clock.db(clock), "success" if ok else "failed"))
            clock += verdict.latency_s
            if not ok:
                faults.setdefault(verdict.fault or "unknown", None)
                break
        else:
            exported_at = clock
        t += RETRY_EVERY
    _settle(ctx, runs=runs, exported_at=exported_at, deadline=deadline, faults=list(faults))


def _settle(
    ctx: SimContext,
    *,
    runs: list[tuple[int, Employer, datetime]],
    exported_at: float | None,
    deadline: float,
    faults: list[str],
) -> None:
    rng = ctx.rng("payroll:amounts")
    on_time = exported_at is not None and exported_at <= deadline
    late = exported_at is not None and not on_time
    missed = not on_time and deadline < ctx.end_s
    for payrun_id, employer, _ in runs:
        row = ctx.rows.payruns[payrun_id - 1]
        if exported_at is not None:
            row[5] = ctx.clock.db(exported_at)
        if on_time:
            row[4], status = "paid", "paid"
            paid_at: str | None = ctx.clock.db(deadline)
        elif late:
            row[4], status = "paid_late", "paid_late"
            paid_at = ctx.clock.db((exported_at or 0.0) + 900.0)
        elif missed:
            row[4], status, paid_at = "failed", "unpaid", None
        else:
            status, paid_at = "pending", None
        for ref in employer.employees:
            amount = int(math.exp(rng.gauss(7.8, 0.35)) * 100)
            ctx.rows.payrun_items.append((payrun_id, ref, amount, status, paid_at))
        if not missed:
            continue
        touchpoint = TOUCHPOINT[row[1]]
        employer_id = ctx.customers.ids[employer.customer]
        for fault in faults or ["unknown"]:
            cell = ctx.truth.cell(fault, touchpoint)
            cell.failed += len(employer.employees)
            cell.affected.update(employer.employees)
            (cell.succeeded if late else cell.unresolved).update(employer.employees)
            for ref in employer.employees:
                ctx.truth.consequence(fault, touchpoint, "unpaid_on_pay_day", ref)
            ctx.truth.consequence(fault, touchpoint, "employers", employer_id)
