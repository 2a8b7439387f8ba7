"""Firing alerts read straight from Prometheus, for when Alertmanager is not wired up.

Prometheus exposes its alerting rules' state as two series: ``ALERTS`` (one
series per pending or firing alert, labelled ``alertstate``) and
``ALERTS_FOR_STATE`` (value: the Unix time the alert became active). Polling
them gives the same alerts, with the same labels and hence the same
fingerprints, as Alertmanager would receive. An alert that was firing at the
previous poll and is gone now has resolved; Prometheus does not say when, so
the poll time is used.

Configured :class:`RuleQuery` expressions turn any PromQL result into alerts
(each series one firing alert), for conditions nobody wrote an alerting rule for.

The client does blocking HTTP: call :func:`poll_alerts` from the scheduler's
thread, never from the event loop. Connection and HTTP errors of the client
(``requests`` and ``prometheus_api_client`` exceptions) propagate to the caller,
which decides whether to retry at the next tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_api_client import PrometheusConnect
from urllib3.util.retry import Retry

from monitor.domain import Alert, AlertStatus
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.ingest.limits import IngestLimits
from monitor.ingest.validation import require_aware

SOURCE = "prometheus"
FIRING_QUERY = 'ALERTS{alertstate="firing"}'
FOR_STATE_QUERY = "ALERTS_FOR_STATE"
_DROPPED_LABELS = frozenset({"__name__", "alertstate"})

LabelKey = frozenset[tuple[str, str]]


class PrometheusQuery(Protocol):
    """The one call the poller makes; ``PrometheusConnect`` satisfies it."""

    def custom_query(self, query: str, params: dict[str, Any] | None = None) -> Any:
        """Run an instant query and return the ``data.result`` list of the answer."""
        ...


@dataclass(frozen=True)
class RuleQuery:
    """A PromQL expression whose every series is a firing alert called ``alertname``."""

    alertname: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)
    """Added to each series' labels (e.g. ``severity``); the series' own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PollResult:
    """What one poll found: alerts firing now, alerts that stopped since the last poll."""

    firing: tuple[Alert, ...]
    resolved: tuple[Alert, ...]
    problems: tuple[str, ...] = ()
    """Series that could not be read (malformed answers), for logs; never fatal."""


def prometheus_retry() -> Retry:
    """One quick retry of a refused or overloaded request, no more.

    The library's default (three retries with a doubling back-off) holds the
    calling thread for seconds per query while Prometheus is down; the
    monitor's own schedule (the next poll, the next estimate) is the retry.
    """
    return Retry(
        total=1,
        backoff_factor=0.2,
        status_forcelist=[429, 502, 503, 504],
        allowed_methods=["GET", "POST"],
    )


def connect_prometheus(
    url: str, *, timeout_seconds: float, verify_tls: bool = True
) -> PrometheusQuery:
    """Build a ``PrometheusConnect`` with an explicit timeout (the library has none)."""
    # The library annotates ``timeout`` as int but hands it to requests, which takes floats.
    client: PrometheusQuery = PrometheusConnect(
        url, disable_ssl=not verify_tls, timeout=timeout_seconds, retry=prometheus_retry()
    )
    return client


def poll_alerts(
    client: PrometheusQuery,
    *,
    previous: Mapping[str, Alert],
    now: datetime,
    rules: Sequence[RuleQuery] = (),
    limits: IngestLimits | None = None,
) -> PollResult:
    """Read firing alerts at ``now`` and resolve those of ``previous`` that are gone.

    ``previous`` maps fingerprints to the alerts returned as firing by the last
    poll; entries from other sources or already resolved are ignored. Start
    times come from ``ALERTS_FOR_STATE``, else from ``previous``, else ``now``.
    """
    now = require_aware(now)
    limits = limits or IngestLimits()
    params = {"time": f"{now.timestamp():.3f}"}
    problems: list[str] = []
    active_since = _active_since(
        _series(
            client.custom_query(query=FOR_STATE_QUERY, params=params), FOR_STATE_QUERY, problems
        ),
        now=now,
        limits=limits,
    )
    known = {
        fp: alert
        for fp, alert in previous.items()
        if alert.source == SOURCE and alert.status is AlertStatus.FIRING
    }
    firing: dict[str, Alert] = {}
    for labels, _ in _series(
        client.custom_query(query=FIRING_QUERY, params=params), FIRING_QUERY, problems
    ):
        alert = _firing(labels, {}, known=known, active_since=active_since, now=now)
        firing.setdefault(alert.fingerprint, alert)
    for rule in rules:
        for labels, _ in _series(
            client.custom_query(query=rule.expr, params=params), rule.expr, problems
        ):
            merged = {**rule.labels, **labels, "alertname": rule.alertname}
            alert = _firing(merged, rule.annotations, known=known, active_since={}, now=now)
            firing.setdefault(alert.fingerprint, alert)
    resolved = tuple(
        replace(alert, status=AlertStatus.RESOLVED, ends_at=now)
        for fp, alert in known.items()
        if fp not in firing
    )
    return PollResult(firing=tuple(firing.values()), resolved=resolved, problems=tuple(problems))


def _firing(
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    *,
    known: Mapping[str, Alert],
    active_since: Mapping[LabelKey, datetime],
    now: datetime,
) -> Alert:
    fingerprint = labelset_fingerprint(labels)
    before = known.get(fingerprint)
    starts_at = active_since.get(_key(labels))
    if starts_at is None:
        starts_at = before.starts_at if before is not None else now
    return Alert(
        fingerprint=fingerprint,
        source=SOURCE,
        status=AlertStatus.FIRING,
        labels=dict(labels),
        # ALERTS carries no annotations; keep what an earlier poll or the rule gave.
        annotations=dict(annotations or (before.annotations if before is not None else {})),
        starts_at=starts_at,
    )


def _active_since(
    series: Iterable[tuple[dict[str, str], float]], *, now: datetime, limits: IngestLimits
) -> dict[LabelKey, datetime]:
    out: dict[LabelKey, datetime] = {}
    for labels, value in series:
        try:
            since = datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            continue
        if limits.min_time <= since <= now + limits.future_skew:
            out[_key(labels)] = since
    return out


def _series(result: object, query: str, problems: list[str]) -> list[tuple[dict[str, str], float]]:
    """Read an instant-vector answer as (labels without ``__name__``/``alertstate``, value)."""
    if not isinstance(result, list):
        problems.append(f"{query}: expected a vector, got {type(result).__name__}")
        return []
    out = []
    for index, item in enumerate(result):
        try:
            metric = item["metric"]
            value = float(item["value"][1])
            labels = {str(k): str(v) for k, v in metric.items() if k not in _DROPPED_LABELS}
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            problems.append(f"{query}: result[{index}] is not a sample")
            continue
        out.append((labels, value))
    return out


def _key(labels: Mapping[str, str]) -> LabelKey:
    return frozenset(labels.items())
