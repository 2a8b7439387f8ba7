"""Concrete adapters for the impact stage: Prometheus and the company's operational database.

``monitor.impact`` defines what it needs (``MetricsSource``, ``OperationalData``);
these classes provide it over the network with explicit timeouts and
read-only access, and translate client errors into the stage's errors.
"""

from monitor.sources.operational import SqlOperationalData
from monitor.sources.prometheus import PrometheusMetrics

__all__ = ["PrometheusMetrics", "SqlOperationalData"]
