"""Ingest stage: payloads from outside become domain alerts.

Every parser has the same shape, ``parse_x(body, *, now, limits) -> ParsedBatch``:
pure, no database, no network. An unusable payload raises
:class:`~monitor.errors.InputError`; a bad item inside a usable payload is
listed in ``ParsedBatch.rejected`` and the rest is accepted. The Prometheus
poller is the one part that talks to a server, through the small
``PrometheusQuery`` protocol.
"""

from __future__ import annotations

from monitor.ingest.alertmanager import parse_alertmanager
from monitor.ingest.events import events_json_schema, parse_events
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.ingest.limits import IngestLimits
from monitor.ingest.prometheus_poller import (
    PollResult,
    PrometheusQuery,
    RuleQuery,
    connect_prometheus,
    poll_alerts,
)
from monitor.ingest.validation import BatchMeta, ParsedBatch, RejectedItem

__all__ = [
    "BatchMeta",
    "IngestLimits",
    "ParsedBatch",
    "PollResult",
    "PrometheusQuery",
    "RejectedItem",
    "RuleQuery",
    "connect_prometheus",
    "events_json_schema",
    "labelset_fingerprint",
    "parse_alertmanager",
    "parse_events",
    "poll_alerts",
]
