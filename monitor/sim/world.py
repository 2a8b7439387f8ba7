"""The simulated company's people and schedules: customers, employers, employees, flights.

Everything is drawn from one seeded generator per concern, so the same seed
gives the same world whatever else changes in the simulation around it.
Customer ids (``C000123``) and employee references (``E0000123``) are the
company's own identifiers, as its systems would print them.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

SEGMENT_SHARES: dict[str, float] = {"retail": 0.80, "business": 0.12, "premium": 0.08}
PATIENCE: dict[str, tuple[int, int]] = {"retail": (1, 3), "business": (2, 5), "premium": (2, 4)}
"""Retries a customer makes in a row before stopping, by segment (inclusive range)."""
AIRPORTS = ("AMS", "BCN", "CDG", "DUB", "FCO", "LHR", "LIS", "MAD", "MUC", "OSL", "VIE", "ZRH")
HOME_AIRPORT = "BRU"


def seeded(seed: int, name: str) -> random.Random:
    """A reproducible generator for one concern of the simulation (not for secrets)."""
    return random.Random(f"{seed}:{name}")  # noqa: S311 - simulation, reproducibility wanted


@dataclass(frozen=True)
class Customers:
    """The customer base as parallel columns (index ``i`` is customer ``ids[i]``)."""

    ids: tuple[str, ...]
    segment: tuple[str, ...]
    region: tuple[str, ...]
    channel: tuple[str, ...]
    """Preferred channel: ``app`` or ``web``."""
    patience: tuple[int, ...]
    activity: tuple[float, ...]
    """How much more or less than the average of their segment the customer does."""

    def __len__(self) -> int:
        return len(self.ids)

    def indices(self, segments: set[str]) -> list[int]:
        """Customers in any of ``segments``."""
        return [i for i, s in enumerate(self.segment) if s in segments]


@dataclass(frozen=True)
class Employer:
    """A business customer whose payroll the bureau runs."""

    customer: int
    frequency: str
    """``monthly`` or ``weekly``."""
    employees: tuple[str, ...]


@dataclass(frozen=True)
class Departure:
    """A scheduled flight from the home airport."""

    id: int
    flight_number: str
    origin: str
    destination: str
    departs_s: float
    """Seconds since the start of the scenario (negative: before it)."""


def make_customers(count: int, *, seed: int, regions: tuple[str, ...]) -> Customers:
    """Draw ``count`` customers with segments, regions, channel habits and patience."""
    rng = seeded(seed, "customers")
    names = list(SEGMENT_SHARES)
    cum = list(accumulate(SEGMENT_SHARES.values()))
    region_weights = [
        0.6 if i == 0 else 0.4 / max(1, len(regions) - 1) for i in range(len(regions))
    ]
    segment = tuple(names[bisect_right(cum, rng.random() * cum[-1])] for _ in range(count))
    region = tuple(rng.choices(regions, weights=region_weights, k=count))
    channel = tuple("app" if rng.random() < 0.65 else "web" for _ in range(count))
    patience = tuple(rng.randint(*PATIENCE[s]) for s in segment)
    activity = tuple(math.exp(rng.gauss(-0.18, 0.6)) for _ in range(count))
    return Customers(
        ids=tuple(f"C{i + 1:06d}" for i in range(count)),
        segment=segment,
        region=region,
        channel=channel,
        patience=patience,
        activity=activity,
    )


def make_employers(customers: Customers, *, seed: int) -> list[Employer]:
    """Business customers that run payroll with the bureau, each with its staff."""
    rng = seeded(seed, "employers")
    employers: list[Employer] = []
    next_ref = 1
    for i in customers.indices({"business"}):
        if rng.random() >= 0.6:
            continue
        size = min(400, max(1, round(math.exp(rng.gauss(2.2, 1.0)))))
        refs = tuple(f"E{next_ref + k:07d}" for k in range(size))
        next_ref += size
        frequency = "weekly" if rng.random() < 0.2 else "monthly"
        employers.append(Employer(customer=i, frequency=frequency, employees=refs))
    return employers


def make_departures(
    *, seed: int, start: datetime, first_day: int, last_day: int, per_day: int = 32
) -> list[Departure]:
    """Departures from ``first_day`` to ``last_day`` (days from the start, inclusive)."""
    rng = seeded(seed, "departures")
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (midnight - start).total_seconds()
    flights: list[Departure] = []
    for day in range(first_day, last_day + 1):
        weekday = (midnight + timedelta(days=day)).weekday()
        count = per_day + (4 if weekday in (4, 6) else 0)
        for k in range(count):
            minute = 6 * 60 + round((16 * 60) * (k + rng.random() * 0.8) / count)
            flights.append(
                Departure(
                    id=len(flights) + 1,
                    flight_number=f"NW{100 + k * 7 % 900:03d}",
                    origin=HOME_AIRPORT,
                    destination=AIRPORTS[(k * 5 + day) % len(AIRPORTS)],
                    departs_s=offset + day * 86400 + minute * 60,
                )
            )
    return flights
