"""The simulation core: customers start interactions, requests cross routes, faults bite.

Traffic is drawn per minute from each touchpoint's rhythm. In minutes that no
fault touches, every request succeeds at the first try, so those are counted
in bulk (the fast path that makes weeks of history take seconds). In minutes
a fault touches, each interaction is played out request by request with the
customer's retries, channel switches, complaints and survey answers, and written to the
metrics, the operational rows and the ground truth at the same time, which is
what keeps the three consistent.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, Protocol

from monitor.catalog import Catalog
from monitor.sim.behaviour import Attempt, Interaction, complaint_text, interact
from monitor.sim.faults import SUCCESS, FaultPlan, Verdict
from monitor.sim.metrics import LATENCY_BUCKETS, Metrics, TouchpointSeries
from monitor.sim.opdb import OpRows
from monitor.sim.profiles import Profile, healthy_latency, minute_weights, poisson
from monitor.sim.surveys import Surveys, is_low
from monitor.sim.topology import Routes, touchpoint_routes
from monitor.sim.truth import Truth
from monitor.sim.world import Customers, seeded


class Clock:
    """Turns scenario seconds into the database's timestamp text, quickly."""

    def __init__(self, start: datetime, minutes: int) -> None:
        self.start = start.astimezone(UTC).replace(tzinfo=None)
        self.epoch0 = start.timestamp()
        self._prefix = [
            (self.start + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:") for m in range(minutes)
        ]

    def db(self, t: float) -> str:
        """``YYYY-MM-DD HH:MM:SS.000000``, the text SQLAlchemy stores for a SQLite DateTime."""
        m = int(t // 60)
        if 0 <= m < len(self._prefix):
            return f"{self._prefix[m]}{int(t - m * 60):02d}.000000"
        return (self.start + timedelta(seconds=int(t))).strftime("%Y-%m-%d %H:%M:%S.000000")

    def epoch(self, t: float) -> float:
        """Unix time of scenario second ``t``."""
        return self.epoch0 + t

    def at(self, t: float) -> datetime:
        """The naive UTC time of scenario second ``t``."""
        return self.start + timedelta(seconds=t)


@dataclass
class SimContext:
    """Everything a part of the simulation reads and writes."""

    seed: int
    catalog: Catalog
    plan: FaultPlan
    customers: Customers
    metrics: Metrics
    rows: OpRows
    truth: Truth
    clock: Clock
    end_s: float
    overdraft_candidates: list[tuple[int, float, list[str]]] = field(default_factory=list)
    rngs: dict[str, random.Random] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """A generator of its own for each concern, so that concerns do not shift each other."""
        found = self.rngs.get(name)
        if found is None:
            found = self.rngs[name] = seeded(self.seed, name)
        return found


class Recorder(Protocol):
    """What a touchpoint's recording service writes to the operational DB."""

    def begin(self, customer: int, t: float, /) -> Any:
        """Draw what the customer wants (amount, flight…) at the start of an interaction."""

    def attempt(self, intent: Any, customer: int, attempt: Attempt, /) -> None:
        """Write one attempt that reached the recording service with its database up."""

    def end(self, intent: Any, customer: int, interaction: Interaction | None, /) -> None:
        """Follow-up once the interaction is over."""

    def fast(self, customer: int, t: float, channel: str, /) -> None:
        """Write an interaction that succeeded at its first attempt at ``t``."""


@dataclass
class TouchpointRun:
    """One touchpoint being simulated: its profile, routes and where its counts go."""

    profile: Profile
    routes: Routes
    series: TouchpointSeries
    faulty: frozenset[int]
    rng: random.Random
    keywords: tuple[str, ...]
    surveys: Surveys
    recorder: Recorder | None = None

    @classmethod
    def build(cls, ctx: SimContext, profile: Profile, recorder: Recorder | None) -> TouchpointRun:
        """Routes from the catalog, faulty minutes from the plan."""
        tp = profile.touchpoint
        routes = touchpoint_routes(
            ctx.catalog, touchpoint=tp, channels=profile.channels, recorder=profile.recorder
        )
        words = ctx.catalog.touchpoints[tp].keywords
        return cls(
            profile=profile,
            routes=routes,
            series=ctx.metrics.touchpoint(tp),
            faulty=ctx.plan.faulty_minutes(routes.all_components()),
            rng=ctx.rng(f"tp:{tp}"),
            keywords=tuple(words.get("en", ())) + tuple(words.get("fr", ())),
            surveys=Surveys(
                ctx.rng(f"survey:{tp}"),
                touchpoint=tp,
                rows=ctx.rows,
                ids=ctx.customers.ids,
                db=ctx.clock.db,
                end_s=ctx.end_s,
            ),
            recorder=recorder,
        )

    def choose_channel(self, ctx: SimContext, customer: int) -> str:
        """The channel of a new interaction: a fixed mix, or mostly the customer's habit."""
        channels = self.profile.channels
        if len(channels) == 1:
            return channels[0]
        r = self.rng.random()
        weights = self.profile.channel_weights
        if weights is not None:
            for channel, weight in zip(channels, weights, strict=False):
                if r < weight:
                    return channel
                r -= weight
            return channels[-1]
        pref = ctx.customers.channel[customer]
        if r < 0.85 and pref in channels:
            return pref
        return channels[int((r - 0.85) / 0.15 * len(channels)) % len(channels)]


def play(
    ctx: SimContext,
    run: TouchpointRun,
    *,
    customer: int,
    t0: float,
    channel: str,
    deadline: float | None = None,
    intent: Any = None,
) -> Interaction:
    """Play one interaction request by request and record it everywhere."""
    rng, profile, plan = run.rng, run.profile, ctx.plan
    region = ctx.customers.region[customer]

    def try_once(t: float, ch: str) -> Verdict:
        variants = run.routes.variants(ch, region)
        route = variants[0] if len(variants) == 1 else rng.choice(variants)
        base = healthy_latency(rng, profile.latency_s)
        return plan.request(rng, route=route, t=t, base_latency_s=base, timeout_s=profile.timeout_s)

    segment = ctx.customers.segment[customer]
    result = interact(
        rng,
        try_once=try_once,
        t0=t0,
        channel=channel,
        channels=profile.channels,
        patience=ctx.customers.patience[customer],
        deadline=min(ctx.end_s, deadline if deadline is not None else ctx.end_s),
        demanding=segment != "retail",
    )
    record(ctx, run, customer=customer, interaction=result, intent=intent)
    return result


def record(
    ctx: SimContext, run: TouchpointRun, *, customer: int, interaction: Interaction, intent: Any
) -> None:
    """Write a played interaction to the metrics, the operational rows and the truth."""
    tp = run.profile.touchpoint
    series = run.series
    for a in interaction.attempts:
        series.observe(
            minute=int(a.t // 60),
            channel=a.channel,
            outcome=a.verdict.outcome,
            latency_s=a.verdict.latency_s,
        )
        reached = a.verdict.outcome == SUCCESS or a.verdict.component in run.routes.recordable
        if reached and run.recorder is not None:
            run.recorder.attempt(intent, customer, a)
    if interaction.attempts:
        series.started[int(interaction.attempts[0].t // 60)] += 1
    cid = ctx.customers.ids[customer]
    for a in interaction.failures:
        cell = ctx.truth.cell(a.verdict.fault or "unknown", tp)
        cell.failed += 1
        cell.affected.add(cid)
    for fault in interaction.faults:
        cell = ctx.truth.cell(fault, tp)
        if interaction.succeeded:
            cell.succeeded.add(cid)
        elif interaction.gave_up:
            cell.gave_up.add(cid)
        else:
            cell.unresolved.add(cid)
        if interaction.switched:
            cell.switched.add(cid)
        if interaction.came_back:
            cell.came_back.add(cid)
        if interaction.complaint is not None and interaction.complaint[0] < ctx.end_s:
            cell.complained.add(cid)
    if interaction.complaint is not None and interaction.complaint[0] < ctx.end_s:
        at, contact = interaction.complaint
        text = complaint_text(
            run.rng,
            keywords=run.keywords,
            fallback=f"{ctx.catalog.touchpoints[tp].name} not working",
            tries=len(interaction.attempts),
            channel=interaction.attempts[-1].channel,
        )
        ctx.rows.complaints.append((cid, ctx.clock.db(at), contact, text))
    answer = run.surveys.after(customer, interaction)
    if answer is not None and is_low(answer.kind, answer.score):
        for fault in interaction.faults:
            ctx.truth.cell(fault, tp).scored_low.add(cid)
    if run.recorder is not None:
        run.recorder.end(intent, customer, interaction)


class Observer:
    """Counts healthy requests on the fast path with as little work per request as possible.

    Latencies of healthy requests are drawn straight into histogram buckets
    from the log-normal's distribution function, and each adds its bucket's
    conditional mean to the latency sum: the same histogram as drawing each
    latency, at a fraction of the cost.
    """

    def __init__(self, run: TouchpointRun) -> None:
        self.run = run
        self.success = {ch: run.series.counts(ch, SUCCESS) for ch in run.profile.channels}
        self.cdf, self.means = bucket_table(run.profile.latency_s)

    def healthy(self, *, minute: int, channel: str) -> None:
        """Count one healthy request in ``minute``."""
        b = bisect_right(self.cdf, self.run.rng.random())
        self.success[channel][minute] += 1
        self.run.series.buckets[b][minute] += 1
        self.run.series.latency_sum[minute] += self.means[b]

    def healthy_many(self, ctx: SimContext, *, minute: int, batch: list[int]) -> None:
        """Count a minute's worth of healthy interactions and let the recorder write them."""
        run = self.run
        rand = run.rng.random
        cdf, means, success = self.cdf, self.means, self.success
        buckets, sums = run.series.buckets, run.series.latency_sum
        fast = run.recorder.fast if run.recorder is not None else None
        pick = run.choose_channel
        base = minute * 60.0
        for c in batch:
            channel = pick(ctx, c)
            b = bisect_right(cdf, rand())
            success[channel][minute] += 1
            buckets[b][minute] += 1
            sums[minute] += means[b]
            if fast is not None:
                fast(c, base + rand() * 60.0, channel)
        run.series.started[minute] += len(batch)
        run.surveys.healthy_batch(batch, base_s=base)


def bucket_table(median_s: float, sigma: float = 0.55) -> tuple[list[float], list[float]]:
    """Cumulative probability of each latency bucket and the mean latency inside it."""
    mu = math.log(median_s)

    def phi(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    def below(le: float, shift: float) -> float:
        return 1.0 if math.isinf(le) else phi((math.log(le) - mu - shift) / sigma)

    mean_all = math.exp(mu + sigma * sigma / 2)
    cdf: list[float] = []
    means: list[float] = []
    prev_p, prev_q, prev_le = 0.0, 0.0, 0.0
    for le in LATENCY_BUCKETS:
        p, q = below(le, 0.0), below(le, sigma * sigma)
        mass = p - prev_p
        inside = mean_all * (q - prev_q) / mass if mass > 1e-12 else min(le, prev_le * 2 or le)
        cdf.append(p)
        means.append(inside)
        prev_p, prev_q, prev_le = p, q, le
    return cdf[:-1], means


_OK = Verdict(SUCCESS, 0.0)


def run_interactive(ctx: SimContext, run: TouchpointRun, *, start: datetime) -> None:
    """Simulate every interaction of a Poisson-driven touchpoint over the history."""
    profile = run.profile
    customers = ctx.customers
    allowed = set(ctx.catalog.touchpoints[profile.touchpoint].segments)
    eligible = [
        i
        for i, s in enumerate(customers.segment)
        if s in allowed and profile.daily_rate.get(s, 0.0) > 0
    ]
    if not eligible:
        return
    rates = [customers.activity[i] * profile.daily_rate[customers.segment[i]] for i in eligible]
    cum = list(accumulate(rates))
    per_minute = cum[-1] / 1440.0
    minutes = ctx.metrics.minutes
    rng = run.rng
    counts = [
        poisson(rng, per_minute * w) for w in minute_weights(profile, start=start, minutes=minutes)
    ]
    chosen = rng.choices(eligible, cum_weights=cum, k=sum(counts))
    observer = Observer(run)
    recorder = run.recorder
    pos = 0
    for m, n in enumerate(counts):
        if not n:
            continue
        batch = chosen[pos : pos + n]
        pos += n
        if m not in run.faulty:
            observer.healthy_many(ctx, minute=m, batch=batch)
            continue
        for c in batch:
            t0 = m * 60 + rng.random() * 60
            intent = recorder.begin(c, t0) if recorder is not None else None
            play(ctx, run, customer=c, t0=t0, channel=run.choose_channel(ctx, c), intent=intent)


class TransactionRecorder:
    """Card authorisation and the ledger write one row per payment or transfer attempt."""

    def __init__(self, ctx: SimContext, *, kind: str, top_up_share: float = 0.0) -> None:
        self.ctx = ctx
        self.kind = kind
        self.top_up_share = top_up_share
        self.rng = ctx.rng(f"rows:{kind}")
        scale = 3.0 if kind == "card" else 5.0
        self.amounts = [int(math.exp(self.rng.gauss(scale, 0.9)) * 100) for _ in range(4096)]
        self.ids = ctx.customers.ids
        self.rows = ctx.rows.transactions
        self.db = ctx.clock.db

    def begin(self, _customer: int, t: float, /) -> Any:
        """Amount in cents, and whether the transfer tops up a low balance."""
        amount = self.amounts[self.rng.getrandbits(12)]
        top_up = self.top_up_share > 0 and self.rng.random() < self.top_up_share
        return (amount, top_up, t)

    def attempt(self, intent: Any, customer: int, attempt: Attempt, /) -> None:
        """One row: completed, or failed with the reason the service saw."""
        ok = attempt.verdict.outcome == SUCCESS
        self.ctx.rows.transactions.append(
            (
                self.ctx.customers.ids[customer],
                self.kind,
                attempt.channel,
                self.ctx.clock.db(attempt.t),
                intent[0],
                "completed" if ok else "failed",
                None if ok else attempt.verdict.outcome,
            )
        )

    def fast(self, customer: int, t: float, channel: str, /) -> None:
        """A completed payment or transfer."""
        amount = self.amounts[self.rng.getrandbits(12)]
        self.rows.append(
            (self.ids[customer], self.kind, channel, self.db(t), amount, "completed", None)
        )

    def end(self, intent: Any, customer: int, interaction: Interaction | None, /) -> None:
        """A top-up that never went through leaves the account to go overdrawn tonight."""
        if interaction is None or interaction.succeeded or not intent[1]:
            return
        if self.ctx.customers.segment[customer] == "business":
            return
        last = interaction.attempts[-1].t if interaction.attempts else intent[2]
        self.ctx.overdraft_candidates.append((customer, last, interaction.faults))
