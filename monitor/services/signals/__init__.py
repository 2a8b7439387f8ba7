"""Customer signals: accepted at the door, joined to incidents, watched for spikes.

``accept``: validation, pseudonymisation and attribution before the sender's
answer. ``watch``: the worker's periodic job (join, follow-ups, spikes,
customer-reported incidents, retention). ``summary``: what customers said
about an incident, without who said it; ``evidence``: the counts of
complaints and low scores for Slack updates and estimates.
"""

from monitor.services.signals.accept import (
    AcceptedSignals,
    RejectedSignal,
    accept_signals,
    keep_refused,
    parse_items,
)
from monitor.services.signals.evidence import low_scores, signal_counts
from monitor.services.signals.keys import pseudonym_key
from monitor.services.signals.summary import SignalSample, SignalSummary, signal_summary
from monitor.services.signals.watch import WatchReport, spike_params, watch_signals

__all__ = [
    "AcceptedSignals",
    "RejectedSignal",
    "SignalSample",
    "SignalSummary",
    "WatchReport",
    "accept_signals",
    "keep_refused",
    "low_scores",
    "parse_items",
    "pseudonym_key",
    "signal_counts",
    "signal_summary",
    "spike_params",
    "watch_signals",
]
