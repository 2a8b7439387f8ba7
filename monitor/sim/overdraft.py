"""The nightly overdraft engine: fees for overdrawn accounts, and the warning to the customer.

Some accounts go below zero on any night. More do when a customer's transfer
that would have topped up a low balance failed and was never made. The engine
runs at 02:00 and is retried every hour until 07:00; each overdrawn customer
then gets a push or SMS through the notification service, retried twice.
"""

from __future__ import annotations

import random

from monitor.sim.engine import SimContext
from monitor.sim.faults import SUCCESS
from monitor.sim.topology import Route, node_routes, regions_of

JOB = "overdraft-engine"
TOUCHPOINT = "overdraft-notifications"
FEE_CENTS = 1500
BASE_NIGHTLY_SHARE = 0.0012
RUN_HOUR = 2
LAST_RETRY_HOUR = 7


def run_overdraft(ctx: SimContext) -> None:
    """Play every night's overdraft run over the history."""
    if JOB not in ctx.catalog.components or TOUCHPOINT not in ctx.catalog.touchpoints:
        return
    rng = ctx.rng("overdraft")
    region = regions_of(ctx.catalog)[0]
    job_routes = node_routes(ctx.catalog, JOB, region)
    notify_routes = (
        node_routes(ctx.catalog, "notification-svc", region)
        if "notification-svc" in ctx.catalog.components
        else (frozenset(),)
    )
    exposed = [i for i, s in enumerate(ctx.customers.segment) if s != "business"]
    candidates = sorted(ctx.overdraft_candidates, key=lambda c: c[1])
    pending: dict[int, list[str]] = {}
    next_candidate = 0
    midnight = -(ctx.clock.start.hour * 3600 + ctx.clock.start.minute * 60.0)
    day = 0
    while midnight + day * 86400.0 < ctx.end_s:
        run_at = midnight + day * 86400.0 + RUN_HOUR * 3600.0
        day += 1
        if run_at < 0 or run_at >= ctx.end_s:
            continue
        for c in rng.sample(exposed, min(len(exposed), _count(rng, len(exposed)))):
            pending.setdefault(c, [])
        while next_candidate < len(candidates) and candidates[next_candidate][1] < run_at:
            c, _, faults = candidates[next_candidate]
            pending.setdefault(c, []).extend(faults)
            next_candidate += 1
        done_at = _engine(ctx, rng, job_routes, run_at=run_at, items=len(pending), pending=pending)
        if done_at is None:
            continue
        for c in sorted(pending):
            _charge(ctx, rng, notify_routes, customer=c, at=done_at, faults=pending[c])
        pending.clear()


def _count(rng: random.Random, population: int) -> int:
    expected = population * BASE_NIGHTLY_SHARE
    return max(0, round(rng.gauss(expected, expected**0.5))) if expected > 0 else 0


def _engine(
    ctx: SimContext,
    rng: random.Random,
    routes: tuple[Route, ...],
    *,
    run_at: float,
    items: int,
    pending: dict[int, list[str]],
) -> float | None:
    """Run (and retry) the engine; the time it finished, or None if every try failed."""
    t = run_at
    last_try = run_at + (LAST_RETRY_HOUR - RUN_HOUR) * 3600.0
    failed_by: list[str] = []
    while t <= last_try and t < ctx.end_s:
        verdict = ctx.plan.batch_run(rng, route=rng.choice(routes), t=t)
        ok = verdict.outcome == SUCCESS
        ctx.metrics.batch_run(
            JOB, minute=int(t // 60), ok=ok, items=items, epoch_s=ctx.clock.epoch(t)
        )
        ctx.rows.batch_runs.append((JOB, ctx.clock.db(t), "success" if ok else "failed"))
        if ok:
            return t + verdict.latency_s
        failed_by.append(verdict.fault or "unknown")
        t += 3600.0
    if t > last_try:
        for c in pending:
            cid = ctx.customers.ids[c]
            for fault in dict.fromkeys(failed_by):
                cell = ctx.truth.cell(fault, TOUCHPOINT)
                cell.affected.add(cid)
                cell.failed += 1
                cell.unresolved.add(cid)
    return None


def _charge(
    ctx: SimContext,
    rng: random.Random,
    routes: tuple[Route, ...],
    *,
    customer: int,
    at: float,
    faults: list[str],
) -> None:
    cid = ctx.customers.ids[customer]
    ctx.rows.overdraft_events.append((cid, ctx.clock.db(at), FEE_CENTS))
    for fault in dict.fromkeys(faults):
        ctx.truth.consequence(fault, "transfers", "overdrawn", cid)
    channel = "push" if ctx.customers.channel[customer] == "app" else "sms"
    series = ctx.metrics.touchpoint(TOUCHPOINT)
    t = at + rng.uniform(1.0, 120.0)
    failed_by: list[str] = []
    sent = False
    for _ in range(3):
        if t >= ctx.end_s:
            break
        verdict = ctx.plan.request(
            rng, route=rng.choice(routes), t=t, base_latency_s=0.2, timeout_s=10.0
        )
        series.observe(
            minute=int(t // 60),
            channel=channel,
            outcome=verdict.outcome,
            latency_s=verdict.latency_s,
        )
        ok = verdict.outcome == SUCCESS
        ctx.rows.notifications.append(
            (cid, "overdraft", channel, ctx.clock.db(t), "sent" if ok else "failed")
        )
        if ok:
            sent = True
            break
        failed_by.append(verdict.fault or "unknown")
        t += 3600.0
    series.started[min(int(at // 60), ctx.metrics.minutes - 1)] += 1
    for fault in failed_by:
        ctx.truth.cell(fault, TOUCHPOINT).failed += 1
    for fault in dict.fromkeys(failed_by):
        cell = ctx.truth.cell(fault, TOUCHPOINT)
        cell.affected.add(cid)
        (cell.succeeded if sent else cell.gave_up).add(cid)
