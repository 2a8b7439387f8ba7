"""The impact stage: how many customers each touchpoint failed, with an honest 90% interval.

Pure estimators over two Protocols (``MetricsSource``, ``OperationalData``);
``estimate_touchpoints`` is the entry point. ``docs/impact.md`` explains the
methods, the interval and the quality notes.
"""

from monitor.impact.estimate import (
    Sources,
    combine,
    estimate_touchpoint,
    estimate_touchpoints,
    impact_json,
    interval_json,
)
from monitor.impact.ports import (
    ImpactSourceError,
    MetricsSource,
    OperationalData,
    QueryError,
    RangeSeries,
    SourceUnavailableError,
    Window,
)
from monitor.impact.result import MethodResult, TouchpointImpact

__all__ = [
    "ImpactSourceError",
    "MethodResult",
    "MetricsSource",
    "OperationalData",
    "QueryError",
    "RangeSeries",
    "SourceUnavailableError",
    "Sources",
    "TouchpointImpact",
    "Window",
    "combine",
    "estimate_touchpoint",
    "estimate_touchpoints",
    "impact_json",
    "interval_json",
]
