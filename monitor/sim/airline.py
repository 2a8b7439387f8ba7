"""The airline: bookings made days ahead, check-in in the 24 hours before each departure.

Check-in traffic is not a daily rhythm but follows the departures board:
passengers check in when check-in opens or a few hours before the flight.
One who cannot check in online goes to the airport desk, which needs the
departure control system; if that is down too, they miss the flight.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from monitor.sim.behaviour import Attempt, Interaction
from monitor.sim.engine import Observer, SimContext, TouchpointRun, play
from monitor.sim.faults import SUCCESS, Verdict
from monitor.sim.profiles import poisson
from monitor.sim.topology import node_routes, regions_of
from monitor.sim.world import Departure

DAY = 86400.0
CHECKIN_OPENS = 24 * 3600.0
CHECKIN_CLOSES = 45 * 60.0
DESK_AT = 2 * 3600.0
ONLINE_SHARE = 0.85
BOOKING_HORIZON_DAYS = 45

_OK = Verdict(SUCCESS, 0.0)


class BookingRecorder:
    """The booking engine writes one booking row per attempt that reaches it."""

    def __init__(self, ctx: SimContext, departures: list[Departure]) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("rows:booking")
        self.by_day: dict[int, list[Departure]] = defaultdict(list)
        for dep in departures:
            self.by_day[int(dep.departs_s // DAY)].append(dep)
        self.confirmed: list[tuple[int, int, Departure, float]] = []
        """(booking id, customer, departure, booked at) of every confirmed booking."""

    def begin(self, _customer: int, t: float, /) -> Any:
        """The flight the passenger wants: a few days to a few weeks ahead."""
        lead = min(BOOKING_HORIZON_DAYS, 1 + int(self.rng.expovariate(1 / 12)))
        options = self.by_day.get(int(t // DAY) + lead)
        return self.rng.choice(options) if options else None

    def attempt(self, intent: Any, customer: int, attempt: Attempt, /) -> None:
        """One booking row, confirmed or failed."""
        if intent is None:
            return
        ok = attempt.verdict.outcome == SUCCESS
        rows = self.ctx.rows.bookings
        rows.append(
            [
                self.ctx.customers.ids[customer],
                intent.id,
                attempt.channel,
                self.ctx.clock.db(attempt.t),
                "confirmed" if ok else "failed",
                None,
                None,
                None,
            ]
        )
        if ok:
            self.confirmed.append((len(rows), customer, intent, attempt.t))

    def end(self, _intent: Any, _customer: int, _interaction: Interaction | None, /) -> None:
        """Nothing follows a booking until check-in."""

    def fast(self, customer: int, t: float, channel: str, /) -> None:
        """A booking confirmed at the first attempt."""
        self.attempt(self.begin(customer, t), customer, Attempt(t, channel, _OK))

    def prehistory(self, run: TouchpointRun) -> None:
        """Bookings made before the history starts, for the flights in its first weeks."""
        rng = self.ctx.rng("prehistory:booking")
        customers = self.ctx.customers
        eligible = [
            i for i, s in enumerate(customers.segment) if run.profile.daily_rate.get(s, 0.0) > 0
        ]
        if not eligible:
            return
        weights = [
            customers.activity[i] * run.profile.daily_rate[customers.segment[i]] for i in eligible
        ]
        daily = sum(weights)
        for day in range(-BOOKING_HORIZON_DAYS, 0):
            picks = rng.choices(eligible, weights=weights, k=poisson(rng, daily))
            times = sorted(day * DAY + rng.random() * DAY for _ in picks)
            for c, t in zip(picks, times, strict=True):
                channel = run.choose_channel(self.ctx, c)
                self.attempt(self.begin(c, t), c, Attempt(t, channel, _OK))


class CheckinRecorder:
    """Departure control writes check-in events and marks the booking as checked in."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx

    def begin(self, _customer: int, _t: float, /) -> Any:
        """The booking is chosen by the caller."""
        return None

    def attempt(self, intent: Any, customer: int, attempt: Attempt, /) -> None:
        """One event row; a success also stamps the booking."""
        booking_id = int(intent)
        ok = attempt.verdict.outcome == SUCCESS
        at = self.ctx.clock.db(attempt.t)
        self.ctx.rows.checkin_events.append(
            (
                booking_id,
                self.ctx.customers.ids[customer],
                at,
                attempt.channel,
                "checked_in" if ok else "failed",
            )
        )
        if ok:
            booking = self.ctx.rows.bookings[booking_id - 1]
            booking[5], booking[6] = at, attempt.channel

    def end(self, _intent: Any, _customer: int, _interaction: Interaction | None, /) -> None:
        """Nothing more: the desk is handled by the check-in flow."""

    def fast(self, _customer: int, _t: float, _channel: str, /) -> None:
        """Check-ins are driven by bookings, never by the traffic generator."""
        raise NotImplementedError


def run_checkins(
    ctx: SimContext,
    *,
    bookings: BookingRecorder,
    checkin: TouchpointRun,
    boarding: TouchpointRun | None,
) -> None:
    """Check every confirmed booking in, online or at the desk, and hand out boarding passes."""
    rng = ctx.rng("checkin")
    desk_routes = _desk_routes(ctx)
    checkin_obs = Observer(checkin)
    for booking_id, c, dep, booked_at in sorted(bookings.confirmed, key=lambda b: b[2].departs_s):
        dep_s = dep.departs_s
        if dep_s - CHECKIN_OPENS >= ctx.end_s or dep_s <= 0:
            continue
        interaction: Interaction | None = None
        online_ok = False
        if rng.random() < ONLINE_SHARE:
            offset = (
                CHECKIN_OPENS - rng.uniform(0, 7200)
                if rng.random() < 0.5
                else rng.uniform(3600, 22 * 3600)
            )
            t = max(dep_s - offset, booked_at + 60.0)
            if t >= dep_s - CHECKIN_CLOSES or t >= ctx.end_s:
                pass
            elif t < 0:
                ctx.rows.bookings[booking_id - 1][5] = ctx.clock.db(t)
                ctx.rows.bookings[booking_id - 1][6] = ctx.customers.channel[c]
                online_ok = True
            else:
                channel = checkin.choose_channel(ctx, c)
                if int(t // 60) in checkin.faulty:
                    interaction = play(
                        ctx, checkin, customer=c, t0=t, channel=channel,
                        deadline=dep_s - CHECKIN_CLOSES, intent=booking_id,
                    )  # fmt: skip
                    online_ok = interaction.succeeded
                    done = interaction.attempts[-1] if online_ok else None
                else:
                    checkin_obs.healthy(minute=int(t // 60), channel=channel)
                    checkin.series.started[int(t // 60)] += 1
                    done = Attempt(t, channel, _OK)
                    assert checkin.recorder is not None
                    checkin.recorder.attempt(booking_id, c, done)
                    online_ok = True
                if done is not None and boarding is not None:
                    _boarding_pass(
                        ctx, boarding, customer=c, t=done.t + rng.uniform(5, 120), channel=channel
                    )
        if not online_ok:
            _desk(
                ctx,
                rng,
                desk_routes,
                booking_id=booking_id,
                customer=c,
                dep_s=dep_s,
                online=interaction,
            )
        _boarded(ctx, booking_id=booking_id, dep_s=dep_s)


def _boarding_pass(
    ctx: SimContext, run: TouchpointRun, *, customer: int, t: float, channel: str
) -> None:
    if t >= ctx.end_s:
        return
    if channel not in run.profile.channels:
        channel = run.profile.channels[0]
    if int(t // 60) in run.faulty:
        play(ctx, run, customer=customer, t0=t, channel=channel)
        return
    Observer(run).healthy(minute=int(t // 60), channel=channel)
    run.series.started[int(t // 60)] += 1


def _desk_routes(ctx: SimContext) -> tuple[frozenset[str], ...]:
    if "departure-control" not in ctx.catalog.components:
        return (frozenset(),)
    return node_routes(ctx.catalog, "departure-control", regions_of(ctx.catalog)[0])


def _desk(
    ctx: SimContext,
    rng: random.Random,
    routes: tuple[frozenset[str], ...],
    *,
    booking_id: int,
    customer: int,
    dep_s: float,
    online: Interaction | None,
) -> None:
    t = dep_s - DESK_AT
    if t < 0 or t >= ctx.end_s:
        return
    verdict = ctx.plan.request(
        rng, route=rng.choice(routes), t=t, base_latency_s=1.0, timeout_s=600.0
    )
    booking = ctx.rows.bookings[booking_id - 1]
    if verdict.outcome == SUCCESS:
        booking[5], booking[6] = ctx.clock.db(t), "desk"
        return
    cid = ctx.customers.ids[customer]
    faults = {verdict.fault or "unknown", *(online.faults if online else [])}
    for fault in faults:
        ctx.truth.cell(fault, "check-in").affected.add(cid)
        ctx.truth.consequence(fault, "check-in", "missed_flight", cid)


def _boarded(ctx: SimContext, *, booking_id: int, dep_s: float) -> None:
    if dep_s >= ctx.end_s:
        return
    booking = ctx.rows.bookings[booking_id - 1]
    booking[7] = booking[5] is not None
