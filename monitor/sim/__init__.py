"""A simulated company with known ground truth: customers, infrastructure, faults, records.

``generate(scenario, out_dir)`` writes weeks of history (OpenMetrics files,
the company's operational database, the ground truth); ``run_live`` replays a
scenario on the wall clock; ``serve_query_api`` answers PromQL over the
metrics without a Prometheus. Nothing here reads the monitor's own store.
"""

from monitor.sim.generate import SimResult, generate, simulate
from monitor.sim.scenario import FaultKind, Scenario, ScenarioSpec, load_scenario

__all__ = [
    "FaultKind",
    "Scenario",
    "ScenarioSpec",
    "SimResult",
    "generate",
    "load_scenario",
    "simulate",
]
