"""Scheduled exposure: customers whose scheduled event fell inside the failure.

A salary payment, a departure or a direct debit happens at a known time;
the catalog's ``exposed`` statement counts the customers whose event lies in
``[:start, :end)``, bound as parameters. The count is exact for what is
scheduled; whether each exposed customer was then hurt is for the other
methods (or the records of what happened) to say.
"""

from __future__ import annotations

from monitor.domain import EstimatorSpec
from monitor.impact.operational import _Problem, run_count
from monitor.impact.ports import OperationalData, SourceUnavailableError, Window
from monitor.impact.result import MethodResult
from monitor.impact.stats import Quantity

METHOD = "scheduled_exposure"


def estimate_exposure(
    spec: EstimatorSpec, *, window: Window, data: OperationalData
) -> MethodResult:
    """Exposed customers (and, when the catalog says how, the ones actually hurt)."""
    if "exposed" not in spec.queries:
        return MethodResult(METHOD, quality=("scheduled_exposure needs an 'exposed' query",))
    try:
        exposed = run_count(data, spec.queries["exposed"], window)
    except SourceUnavailableError as exc:
        return MethodResult(METHOD, quality=(f"operational database unreachable: {exc}",))
    except _Problem as exc:
        return MethodResult(METHOD, quality=(str(exc),))
    return MethodResult(
        METHOD,
        exposed=Quantity.exact(exposed),
        inputs=f"{exposed:.0f} customers with a scheduled event in the window",
    )
