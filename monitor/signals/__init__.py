"""The customer-signal stage: pure functions on what customers say.

``normalise`` validates incoming signals, ``pseudonym`` hashes customer
references under a key, ``attribution`` finds the touchpoint from the
catalog's phrases, ``spikes`` tests whether a window of complaints is more
than the usual. No session, no network: the services call these.
"""

from monitor.signals.attribution import EXPLICIT, Attribution, Rules, fold
from monitor.signals.normalise import SignalDraft, parse_signal
from monitor.signals.pseudonym import pseudonymise
from monitor.signals.spikes import Span, SpikeParams, SpikeTest, evaluate_window, negbin_sf

__all__ = [
    "EXPLICIT",
    "Attribution",
    "Rules",
    "SignalDraft",
    "Span",
    "SpikeParams",
    "SpikeTest",
    "evaluate_window",
    "fold",
    "negbin_sf",
    "parse_signal",
    "pseudonymise",
]
