"""What each estimator returns, and the combined answer for one touchpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.domain import ImpactEstimate, Interval
from monitor.impact.stats import Quantity

STRENGTH: dict[str, int] = {
    "operational_sql": 4,
    "prometheus_traffic": 3,
    "scheduled_exposure": 2,
    "topology_share": 1,
}
"""How much each method is trusted when several answer: recorded ids beat counters beat models."""


@dataclass(frozen=True)
class MethodResult:
    """One estimator's answer: any of the three figures it could produce, and how it got them.

    ``affected`` is the projection to the end of the window; ``affected_so_far``
    is what the data already shows (equal once the window is over).
    ``inputs`` is a one-line account of the numbers used, for people to check.
    """

    method: str
    affected: Quantity | None = None
    affected_so_far: Quantity | None = None
    failed: Quantity | None = None
    exposed: Quantity | None = None
    inputs: str = ""
    quality: tuple[str, ...] = ()
    floor: float | None = None
    """Affected customers known for certain (recorded ids) even when ``affected`` is not given."""
    recorded_failures: float | None = None
    """Failed interactions found in the records, to tell whether the records saw the failures."""
    distinct_share: float | None = None
    """Distinct customers per recorded interaction in past weeks' same window (≤ 1)."""
    distinct: bool = False
    """True when ``affected`` already counts distinct customers (no ``distinct_share`` scaling)."""
    normal: Quantity | None = None
    """Customers the touchpoint usually serves in the window, from the same time of past weeks."""
    segment_counts: Mapping[str, float] | None = None
    """Customers with a failed record in the window, per customer segment."""
    segment_mix: Mapping[str, float] | None = None
    """Customers with any record per segment in past weeks' same window (the usual mix)."""

    @property
    def usable(self) -> bool:
        """True when the method produced at least one figure."""
        figures = (self.affected, self.failed, self.exposed, self.floor)
        return any(q is not None for q in figures)

    def describe(self) -> str:
        """``method: inputs`` as listed in an estimate's ``methods``."""
        return f"{self.method}: {self.inputs}" if self.inputs else self.method


@dataclass(frozen=True)
class TouchpointImpact:
    """The combined estimate of one touchpoint, with what the data already shows."""

    estimate: ImpactEstimate
    affected_so_far: Interval | None
    """None when no method could estimate affected customers."""
