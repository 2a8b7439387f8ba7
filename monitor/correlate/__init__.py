"""Correlation: alerts × catalog → component health, touchpoint impact and incident grouping.

Pure code, no I/O. ``correlate`` computes everything from scratch;
``TopologyState`` keeps the same answer current one alert at a time;
``grouping.decide`` says which incident a new alert belongs to.
"""

from monitor.correlate.correlate import MaintenanceScope, PreparedCatalog, correlate
from monitor.correlate.grouping import (
    Decision,
    Footprint,
    JoinIncident,
    MergeIncidents,
    OpenIncident,
    OpenNew,
    decide,
    unmapped_key,
)
from monitor.correlate.health import alert_health, own_health, worst
from monitor.correlate.match import MatchIndex
from monitor.correlate.result import CorrelationResult, TouchpointImpact
from monitor.correlate.topology import TopologyChange, TopologyState, TouchpointTransition

__all__ = [
    "CorrelationResult",
    "Decision",
    "Footprint",
    "JoinIncident",
    "MaintenanceScope",
    "MatchIndex",
    "MergeIncidents",
    "OpenIncident",
    "OpenNew",
    "PreparedCatalog",
    "TopologyChange",
    "TopologyState",
    "TouchpointImpact",
    "TouchpointTransition",
    "alert_health",
    "correlate",
    "decide",
    "own_health",
    "unmapped_key",
    "worst",
]
