"""Affected customers split by customer segment, when the data allows it.

The combined figure is split, in order of preference, by:

1. the records: customers with a failed record per segment (the operational
   statement ``failed_customers_by_segment``). Those are counted exactly;
   the rest of the figure (customers who left no record) is spread at the
   recorded mix, with the binomial noise of that mix;
2. the touchpoint's usual mix (customers per segment in the records of the
   same window of past weeks, ``customers_by_segment``): right when the
   whole touchpoint failed, a model otherwise, so widened by ``MIX_SPREAD``;
3. the catalog's declared shares (``segment_share.<segment>`` params), a
   model, widened by ``DECLARED_SPREAD`` each way;
4. a touchpoint that serves one segment only: the whole figure.

Otherwise there is no split: the report says per-segment figures are not
available rather than inventing them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from monitor.impact.stats import Quantity, Z

DECLARED_SPREAD = 0.25
"""Relative widening of a figure split by shares the catalog declares rather than measures."""
MIX_SPREAD = 0.15
"""Relative widening of a figure split at the usual mix: the failure may hit segments unevenly."""
SHARE_PREFIX = "segment_share."


def declared_shares(params: Sequence[Mapping[str, object]]) -> dict[str, float]:
    """``segment_share.<segment>`` params of a touchpoint's estimators, first one wins."""
    shares: dict[str, float] = {}
    for found in params:
        for key, value in found.items():
            if key.startswith(SHARE_PREFIX) and isinstance(value, int | float) and value >= 0:
                shares.setdefault(key.removeprefix(SHARE_PREFIX), float(value))
    return shares


def split(
    affected: Quantity,
    *,
    counts: Mapping[str, float] | None,
    mix: Mapping[str, float] | None,
    shares: Mapping[str, float],
    segments: Sequence[str],
) -> tuple[dict[str, Quantity], str | None]:
    """Per-segment affected customers and a line saying how they were split (None: no split)."""
    if counts and sum(counts.values()) > 0:
        return _by_records(affected, counts), "segments: from the failed records' customer segments"
    if mix and sum(mix.values()) > 0:
        how = "segments: at the touchpoint's usual mix in past weeks' records"
        return _by_shares(affected, mix, spread=MIX_SPREAD), how
    if shares and sum(shares.values()) > 0:
        how = "segments: split by the catalog's declared segment shares (a model)"
        return _by_shares(affected, shares, spread=DECLARED_SPREAD), how
    if len(segments) == 1:
        return {segments[0]: affected}, f"segments: the touchpoint serves {segments[0]} only"
    return {}, None


def _by_shares(
    affected: Quantity, shares: Mapping[str, float], *, spread: float
) -> dict[str, Quantity]:
    total = sum(shares.values())
    found: dict[str, Quantity] = {}
    for segment, weight in shares.items():
        p = weight / total
        noise = Z * math.sqrt(affected.value * p * (1 - p))
        found[segment] = Quantity(
            affected.value * p,
            max(0.0, affected.low * p * (1 - spread) - noise),
            affected.high * p * (1 + spread) + noise,
        )
    return found


def _by_records(affected: Quantity, counts: Mapping[str, float]) -> dict[str, Quantity]:
    recorded = sum(counts.values())
    rest = Quantity(
        max(0.0, affected.value - recorded),
        max(0.0, affected.low - recorded),
        max(0.0, affected.high - recorded),
    )
    found: dict[str, Quantity] = {}
    for segment, count in counts.items():
        p = count / recorded
        # The unrecorded rest follows the recorded mix, known from `recorded` customers only.
        noise = Z * math.sqrt(rest.value * p * (1 - p) + rest.value**2 * p * (1 - p) / recorded)
        found[segment] = Quantity(
            count + rest.value * p,
            max(count, count + rest.low * p - noise),
            count + rest.high * p + noise,
        )
    return found
