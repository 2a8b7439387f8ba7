"""How often customers use each touchpoint, through which channel, and how fast it answers.

The rhythms are what a European retail bank and airline see: card payments
peak at lunch and after work and on Saturdays, transfers in office hours on
weekdays, logins morning and evening, bookings in the evening. Times of day
are read on the scenario's clock (UTC stands in for the company's local time).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_FLAT = (1.0,) * 24


@dataclass(frozen=True)
class Profile:
    """Traffic and service behaviour of one interactive touchpoint."""

    touchpoint: str
    daily_rate: Mapping[str, float]
    """Interactions per customer per day, by segment."""
    channels: tuple[str, ...] = ("app", "web")
    channel_weights: tuple[float, ...] | None = None
    """Fixed channel mix; None means each customer's own preference."""
    hourly: tuple[float, ...] = _FLAT
    weekday: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    latency_s: float = 0.25
    """Median latency of a healthy request."""
    timeout_s: float = 10.0
    recorder: str | None = None
    """The component that writes the interaction to the operational DB."""
    record_kind: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)


_CARD_HOURS = (0.1, 0.05, 0.03, 0.02, 0.02, 0.05, 0.2, 0.5, 0.9, 1.1, 1.3, 1.7,
               2.2, 2.0, 1.5, 1.4, 1.6, 2.0, 2.1, 1.8, 1.3, 0.9, 0.5, 0.25)  # fmt: skip
_OFFICE_HOURS = (0.05, 0.02, 0.02, 0.02, 0.03, 0.1, 0.3, 0.8, 1.6, 2.2, 2.3, 2.1,
                 1.6, 1.9, 2.1, 2.0, 1.8, 1.4, 1.0, 0.8, 0.7, 0.5, 0.3, 0.1)  # fmt: skip
_LOGIN_HOURS = (0.1, 0.05, 0.03, 0.03, 0.05, 0.2, 0.8, 1.6, 1.9, 1.6, 1.3, 1.2,
                1.5, 1.3, 1.1, 1.1, 1.2, 1.5, 1.8, 2.0, 1.9, 1.5, 0.9, 0.4)  # fmt: skip
_EVENING_HOURS = (0.1, 0.05, 0.03, 0.03, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.0, 1.1,
                  1.3, 1.1, 1.0, 1.0, 1.1, 1.4, 1.8, 2.3, 2.5, 2.1, 1.3, 0.5)  # fmt: skip
_SHOPPING_WEEK = (0.95, 0.95, 1.0, 1.0, 1.15, 1.35, 0.6)
_OFFICE_WEEK = (1.3, 1.2, 1.15, 1.15, 1.2, 0.5, 0.3)

PROFILES: dict[str, Profile] = {
    p.touchpoint: p
    for p in (
        Profile(
            touchpoint="card-payments",
            daily_rate={"retail": 0.9, "business": 2.2, "premium": 1.6},
            channels=("pos", "online"),
            channel_weights=(0.72, 0.28),
            hourly=_CARD_HOURS,
            weekday=_SHOPPING_WEEK,
            latency_s=0.18,
            timeout_s=8.0,
            recorder="card-auth",
            record_kind="card",
        ),
        Profile(
            touchpoint="transfers",
            daily_rate={"retail": 0.12, "business": 0.9, "premium": 0.3},
            hourly=_OFFICE_HOURS,
            weekday=_OFFICE_WEEK,
            latency_s=0.35,
            recorder="transfers-svc",
            record_kind="transfer",
        ),
        Profile(
            touchpoint="mobile-login",
            daily_rate={"retail": 0.7, "business": 1.4, "premium": 1.0},
            hourly=_LOGIN_HOURS,
            latency_s=0.3,
        ),
        Profile(
            touchpoint="payslips",
            daily_rate={"business": 0.08},
            channels=("web",),
            hourly=_OFFICE_HOURS,
            weekday=_OFFICE_WEEK,
            latency_s=0.6,
            timeout_s=20.0,
        ),
        Profile(
            touchpoint="flight-booking",
            daily_rate={"retail": 1 / 70, "business": 1 / 25, "premium": 1 / 30},
            hourly=_EVENING_HOURS,
            latency_s=0.9,
            timeout_s=20.0,
            recorder="booking-svc",
            record_kind="booking",
        ),
    )
}

SCHEDULED_PROFILES: dict[str, Profile] = {
    "check-in": Profile(
        touchpoint="check-in",
        daily_rate={},
        latency_s=0.5,
        timeout_s=15.0,
        recorder="checkin-svc",
        record_kind="checkin",
    ),
    "boarding-passes": Profile(
        touchpoint="boarding-passes", daily_rate={}, latency_s=0.4, timeout_s=15.0
    ),
}


def default_profile(touchpoint: str, segments: tuple[str, ...]) -> Profile:
    """A modest, flat profile for touchpoints this simulation has no special model for."""
    return Profile(touchpoint=touchpoint, daily_rate=dict.fromkeys(segments, 0.2))


def minute_weights(profile: Profile, *, start: datetime, minutes: int) -> list[float]:
    """Relative traffic of each minute of the history (mean about one)."""
    hourly_mean = sum(profile.hourly) / 24
    week_mean = sum(profile.weekday) / 7
    weights: list[float] = []
    for hour_index in range(-(-minutes // 60)):
        at = start + timedelta(hours=hour_index)
        w = (profile.hourly[at.hour] / hourly_mean) * (profile.weekday[at.weekday()] / week_mean)
        weights.extend([w] * 60)
    return weights[:minutes]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw; normal approximation above 30, which is exact enough for traffic."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def healthy_latency(rng: random.Random, median_s: float) -> float:
    """Latency of a healthy request: log-normal around the median, with a long tail."""
    return median_s * math.exp(rng.gauss(0.0, 0.55))
