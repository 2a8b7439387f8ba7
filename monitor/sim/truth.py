"""The ground truth: who was really hurt by each fault, kept apart from what the company recorded.

Estimators must never read this file; tests and reports compare their
estimates with it. It is written as ``truth.json``:

    {"scenario": ..., "seed": ..., "start": ISO, "end": ISO,
     "faults": [{"id", "component", "kind", "start", "end", "hit": [...], ...}],
     "incidents": {fault_id: {touchpoint: {
         "affected_customers": [ids],   at least one failed or impossible interaction
         "failed_interactions": n,      failed requests (or pay-run items, flights)
         "succeeded": [ids],            an interaction that failed and then worked
         "gave_up": [ids],              an interaction that failed and was abandoned
         "unresolved": [ids],           still retrying when the history ends
         "switched_channel": [ids], "came_back": [ids], "complained": [ids],
         "scored_low": [ids],           answered a survey with NPS 0-6 or CSAT 1-2 after it
         "consequences": {"overdrawn" | "missed_flight" | "unpaid_on_pay_day" | ...: [ids]}
     }}}}

Ids are sorted so that the file is byte-for-byte reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.sim.faults import FaultPlan


@dataclass
class TruthCell:
    """What one fault did to one touchpoint."""

    affected: set[str] = field(default_factory=set)
    failed: int = 0
    succeeded: set[str] = field(default_factory=set)
    gave_up: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)
    switched: set[str] = field(default_factory=set)
    came_back: set[str] = field(default_factory=set)
    complained: set[str] = field(default_factory=set)
    scored_low: set[str] = field(default_factory=set)
    consequences: dict[str, set[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The cell as plain, sorted JSON values."""
        return {
            "affected_customers": sorted(self.affected),
            "failed_interactions": self.failed,
            "succeeded": sorted(self.succeeded),
            "gave_up": sorted(self.gave_up),
            "unresolved": sorted(self.unresolved),
            "switched_channel": sorted(self.switched),
            "came_back": sorted(self.came_back),
            "complained": sorted(self.complained),
            "scored_low": sorted(self.scored_low),
            "consequences": {k: sorted(v) for k, v in sorted(self.consequences.items())},
        }


class Truth:
    """Ground truth accumulated while the simulation runs."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], TruthCell] = {}

    def cell(self, fault: str, touchpoint: str) -> TruthCell:
        """The cell of a fault and touchpoint, created on first use."""
        key = (fault, touchpoint)
        found = self.cells.get(key)
        if found is None:
            found = self.cells[key] = TruthCell()
        return found

    def consequence(self, fault: str, touchpoint: str, what: str, who: str) -> None:
        """Record that ``who`` suffered ``what`` (overdrawn, missed flight…) because of a fault."""
        self.cell(fault, touchpoint).consequences.setdefault(what, set()).add(who)

    def as_json(
        self, *, scenario: str, seed: int, start: datetime, end: datetime, plan: FaultPlan
    ) -> dict[str, Any]:
        """The whole truth as JSON-ready data."""
        incidents: dict[str, dict[str, Any]] = {f.id: {} for f in plan.faults}
        for (fault, touchpoint), cell in sorted(self.cells.items()):
            incidents.setdefault(fault, {})[touchpoint] = cell.as_json()
        return {
            "scenario": scenario,
            "seed": seed,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "faults": [
                {
                    "id": f.id,
                    "component": f.component,
                    "kind": str(f.kind),
                    "start": (start + timedelta(seconds=f.start_s)).isoformat(),
                    "end": (start + timedelta(seconds=f.end_s)).isoformat(),
                    "hit": sorted(f.hit),
                    "error_ratio": f.error_ratio,
                    "latency_ms": f.latency_s * 1000.0,
                    "ramp": f.ramp,
                }
                for f in plan.faults
            ],
            "incidents": incidents,
        }


def write_truth(path: Path, data: dict[str, Any]) -> None:
    """Write the truth file, sorted and indented, so that equal worlds give equal bytes."""
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_truth(path: Path) -> dict[str, Any]:
    """Read a truth file written by ``write_truth``."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
