"""Faults on the timeline, and what they do to one request or one batch run.

Time here is seconds since the start of the scenario. A fault changes the
outcome of exactly the requests whose route crosses one of the components it
takes out; everything else is untouched, which is what makes the ground truth
exact rather than statistical.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.catalog import Catalog
from monitor.sim.scenario import FaultKind, FaultSpec
from monitor.sim.topology import Route

SUCCESS = "success"
ERROR = "error"
TIMEOUT = "timeout"
OUTCOMES: tuple[str, ...] = (SUCCESS, ERROR, TIMEOUT)


@dataclass(frozen=True)
class ActiveFault:
    """A fault placed on the timeline, with the components it takes out."""

    id: str
    component: str
    kind: FaultKind
    start_s: float
    end_s: float
    hit: frozenset[str]
    error_ratio: float = 0.0
    latency_s: float = 0.0
    ramp: bool = False

    def active(self, t: float) -> bool:
        """True while the fault is in force at ``t``."""
        return self.start_s <= t < self.end_s

    def added_latency(self, t: float) -> float:
        """Seconds the fault adds at ``t`` (ramped faults grow from zero)."""
        if not self.ramp:
            return self.latency_s
        return self.latency_s * (t - self.start_s) / (self.end_s - self.start_s)


@dataclass(frozen=True)
class Verdict:
    """What happened to one request: outcome, latency and, when it failed, why."""

    outcome: str
    latency_s: float
    fault: str | None = None
    component: str | None = None


class FaultPlan:
    """The scenario's faults, queried by time and route."""

    def __init__(self, faults: Sequence[ActiveFault]) -> None:
        self.faults = tuple(sorted(faults, key=lambda f: (f.start_s, f.id)))

    @classmethod
    def from_specs(cls, specs: Iterable[FaultSpec], catalog: Catalog) -> FaultPlan:
        """Place the scenario's faults; a region cut takes out everything in its region."""
        placed: list[ActiveFault] = []
        for spec in specs:
            hit = {spec.component}
            comp = catalog.components[spec.component]
            if spec.kind is FaultKind.REGION_CUT and comp.region:
                hit |= {c.id for c in catalog.components.values() if c.region == comp.region}
            start = spec.at.total_seconds()
            placed.append(
                ActiveFault(
                    id=spec.id,
                    component=spec.component,
                    kind=spec.kind,
                    start_s=start,
                    end_s=start + spec.duration.total_seconds(),
                    hit=frozenset(hit),
                    error_ratio=spec.error_ratio or 0.0,
                    latency_s=(spec.latency_ms or 0.0) / 1000.0,
                    ramp=spec.ramp,
                )
            )
        return cls(placed)

    def touching(self, components: frozenset[str]) -> tuple[ActiveFault, ...]:
        """Faults that take out at least one of ``components``."""
        return tuple(f for f in self.faults if f.hit & components)

    def faulty_minutes(self, components: frozenset[str]) -> frozenset[int]:
        """Minutes in which some fault touches one of ``components``."""
        minutes: set[int] = set()
        for fault in self.touching(components):
            minutes.update(range(int(fault.start_s // 60), int(-(-fault.end_s // 60))))
        return frozenset(minutes)

    def request(
        self,
        rng: random.Random,
        *,
        route: Route,
        t: float,
        base_latency_s: float,
        timeout_s: float,
    ) -> Verdict:
        """The outcome of one request along ``route`` at ``t``."""
        added = 0.0
        slowest: ActiveFault | None = None
        for fault in self.faults:
            if not fault.active(t):
                continue
            hits = fault.hit & route
            if not hits:
                continue
            comp = min(hits)
            if fault.kind is FaultKind.REGION_CUT:
                return Verdict(TIMEOUT, timeout_s, fault.id, comp)
            if fault.kind in (FaultKind.DOWN, FaultKind.BATCH_FAILURE):
                return Verdict(ERROR, 0.02 + 0.1 * rng.random(), fault.id, comp)
            if fault.kind is FaultKind.ERROR_RATIO and rng.random() < fault.error_ratio:
                return Verdict(ERROR, base_latency_s * 0.5, fault.id, comp)
            if fault.kind is FaultKind.LATENCY:
                extra = fault.added_latency(t)
                if slowest is None or extra > slowest.added_latency(t):
                    slowest = fault
                added += extra
        latency = base_latency_s + added
        if latency > timeout_s and slowest is not None:
            return Verdict(TIMEOUT, timeout_s, slowest.id, slowest.component)
        return Verdict(SUCCESS, min(latency, timeout_s))

    def batch_run(self, rng: random.Random, *, route: Route, t: float) -> Verdict:
        """The outcome of one batch-job run along ``route`` starting at ``t``."""
        for fault in self.faults:
            if not fault.active(t) or not fault.hit & route:
                continue
            comp = min(fault.hit & route)
            if fault.kind is FaultKind.LATENCY:
                continue
            if fault.kind is FaultKind.ERROR_RATIO and rng.random() >= fault.error_ratio:
                continue
            return Verdict(ERROR, 30.0, fault.id, comp)
        return Verdict(SUCCESS, 60.0 + 60.0 * rng.random())

    def up(self, component: str, t: float) -> bool:
        """Whether the component's metrics endpoint can be scraped at ``t``."""
        for fault in self.faults:
            if not fault.active(t):
                continue
            if fault.kind is FaultKind.REGION_CUT and component in fault.hit:
                return False
            if fault.kind is FaultKind.DOWN and component == fault.component:
                return False
        return True
