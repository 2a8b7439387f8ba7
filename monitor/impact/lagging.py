"""When the operational records hold less than the counters saw, and what the counters prove.

The records are the most trusted method: they name the customers. But they
can lag Prometheus (early in an incident, rows are written after the
counters move) or miss a failure altogether (requests lost before the
recording service). Then they must not pull the combined figure below what
the counters show: records that hold fewer failures than the counters
surely counted are *incomplete*, and only their floor (the customers they
do name) is kept under the counters' answer.

"Surely counted" is the counters' 90% lower bound, never their point:
complete records that match the counters within the counters' noise keep
winning, and they are near-exact where they are complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.impact.result import MethodResult

RECORDS = "operational_sql"
COUNTERS = "prometheus_traffic"


def demote_incomplete(ranked: Sequence[MethodResult], quality: list[str]) -> list[MethodResult]:
    """The answers, with incomplete records reduced to their floor (and a quality note).

    Incomplete records are still exact about what they hold, so they keep
    ``floor``; neither their affected customers nor their failed
    interactions may win over the counters' answers.
    """
    records = next((r for r in ranked if r.method == RECORDS), None)
    counters = next((r for r in ranked if r.method == COUNTERS), None)
    if records is None or counters is None:
        return list(ranked)
    reason = _incomplete(records, counters)
    if reason is None:
        return list(ranked)
    quality.append(f"{RECORDS}: records hold {reason}: used as a lower bound only")
    demoted = replace(records, affected=None, affected_so_far=None, failed=None)
    return [demoted if r is records else r for r in ranked]


def _incomplete(records: MethodResult, counters: MethodResult) -> str | None:
    """Why the records hold fewer failures than the counters surely saw (None: they do not).

    Failed interactions are compared when the records count them. Otherwise
    (no ``failed_interactions`` statement, or one that could not be used)
    the customers the records name are compared with the least the counters
    show: their lower bound on affected customers, or the customer their
    counted failures prove.
    """
    if records.recorded_failures is not None:
        if counters.failed is None or records.recorded_failures >= counters.failed.low:
            return None
        return f"{records.recorded_failures:.0f} failed interactions, fewer than counted"
    shown = counters.affected_so_far or counters.affected
    least = max(shown.low if shown is not None else 0.0, proven_by_counters(counters) or 0.0)
    if records.floor is None or records.floor >= least:
        return None
    return f"{records.floor:.0f} customers with a failed record, fewer than the counters show"


def proven_by_counters(counters: MethodResult | None) -> float | None:
    """Affected customers the counters prove: one, once failures are counted beyond the noise.

    Every failed interaction is some customer's, so when the counters' 90%
    interval on failed interactions excludes zero, the one on affected
    customers must too. Their own affected interval need not: the Poisson
    low bound of a reading of 3 customers is 0.82, shown as 0. One is all
    that counted failures prove: a single customer may have failed them all.
    """
    if counters is None or counters.failed is None or counters.failed.low < 1:
        return None
    return 1.0
