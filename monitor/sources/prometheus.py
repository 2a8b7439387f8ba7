"""Prometheus through ``prometheus_api_client``, with an explicit timeout and explicit times.

Blocking HTTP: call it from a thread or the scheduler, never the event loop.
Connection errors, timeouts and 5xx answers become ``SourceUnavailableError``;
a 4xx answer (bad PromQL) becomes ``QueryError`` carrying Prometheus's message.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException

from monitor.impact.ports import QueryError, RangeSeries, SourceUnavailableError
from monitor.ingest.prometheus_poller import prometheus_retry


class PrometheusMetrics:
    """A ``MetricsSource`` over a Prometheus server's HTTP API."""

    def __init__(self, url: str, *, timeout_seconds: float, verify_tls: bool = True) -> None:
        # The library annotates ``timeout`` as int but hands it to requests, which takes floats.
        self._client = PrometheusConnect(
            url, disable_ssl=not verify_tls, timeout=timeout_seconds, retry=prometheus_retry()
        )
        self.url = url

    def instant(self, query: str, *, at: datetime) -> list[float]:
        """One value per series of ``query`` evaluated at ``at``."""
        result = self._call(
            lambda: self._client.custom_query(query, params={"time": at.timestamp()})
        )
        return [_number(r.get("value", [0, "NaN"])[1]) for r in result]

    def range(
        self, query: str, *, start: datetime, end: datetime, step_seconds: float
    ) -> list[RangeSeries]:
        """Each series of ``query`` at ``start + k·step`` up to ``end``."""
        result = self._call(
            lambda: self._client.custom_query_range(
                query, start_time=start, end_time=end, step=_step(step_seconds)
            )
        )
        return [
            RangeSeries(
                labels=dict(r.get("metric", {})),
                points={float(t): _number(v) for t, v in r.get("values", [])},
            )
            for r in result
        ]

    def _call(self, request: Any) -> list[dict[str, Any]]:
        try:
            result = request()
        except requests.RequestException as exc:
            raise SourceUnavailableError(f"{self.url}: {type(exc).__name__}") from exc
        except PrometheusApiClientException as exc:
            text = str(exc)
            if "HTTP Status Code 4" in text:
                raise QueryError(_short(text)) from exc
            raise SourceUnavailableError(f"{self.url}: {_short(text)}") from exc
        if not isinstance(result, list):
            raise QueryError(f"unexpected answer type {type(result).__name__}")
        return result


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _step(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}"


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."
