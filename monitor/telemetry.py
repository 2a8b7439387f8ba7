"""The monitor's own metrics, exported on ``/metrics`` for the Prometheus that watches it.

A registry per runtime (not prometheus_client's global one) so that tests can
build several apps in one process without clashing collectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Telemetry:
    """Counters and gauges the pipeline updates and ``/metrics`` exposes."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.deliveries = Counter(
            "monitor_ingest_deliveries_total",
            "Deliveries received, by source and result.",
            ["source", "result"],
            registry=r,
        )
        self.alerts_accepted = Counter(
            "monitor_ingest_alerts_accepted_total", "Alerts accepted.", ["source"], registry=r
        )
        self.rate_limited = Counter(
            "monitor_ingest_rate_limited_total",
            "Ingest requests answered 429 because their credential was over its rate.",
            ["endpoint"],
            registry=r,
        )
        self.alerts_rejected = Counter(
            "monitor_ingest_alerts_rejected_total", "Alerts refused.", ["source"], registry=r
        )
        self.batches_processed = Counter(
            "monitor_pipeline_batches_processed_total", "Inbox batches processed.", registry=r
        )
        self.batch_failures = Counter(
            "monitor_pipeline_batch_failures_total", "Inbox batch attempts that failed.", registry=r
        )
        self.inbox_backlog = Gauge(
            "monitor_inbox_backlog", "Accepted batches waiting to be processed.", registry=r
        )
        self.processing_seconds = Histogram(
            "monitor_pipeline_batch_seconds",
            "Time of one processing transaction: one inbox batch, or a group of them.",
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
            registry=r,
        )
        self.processing_lag = Gauge(
            "monitor_pipeline_lag_seconds",
            "Age of the oldest accepted batch not processed yet (0 when none).",
            registry=r,
        )
        self.estimate_age = Gauge(
            "monitor_estimate_age_seconds",
            "Age of the oldest latest-estimate among open incidents (0 when none is open).",
            registry=r,
        )
        self.notifications = Gauge(
            "monitor_notifications",
            "Planned notifications (Slack, webhooks, status page, customer messages) by status.",
            ["status", "action"],
            registry=r,
        )
        self.open_incidents = Gauge(
            "monitor_open_incidents", "Incidents not yet resolved.", registry=r
        )
