"""The report's summary in plain words, for readers outside IT.

No component ids, alert names or state codes: touchpoints by their catalog
names, numbers with their range ("about 1,240 customers (between 1,100 and
1,400)"), durations in hours and minutes.
"""

from __future__ import annotations

from collections.abc import Mapping

from monitor.report.model import Report, TouchpointImpact, plain_duration

_HOW = {
    "major_outage": "could not be used",
    "partial_outage": "partly failed",
    "degraded_performance": "were slow or unreliable",
    "under_maintenance": "were under maintenance",
}
_ORDER = ("major_outage", "partial_outage", "degraded_performance", "under_maintenance")


def summary_paragraph(report: Report, *, names: Mapping[str, str]) -> str:
    """One paragraph: what customers could not do, how many, for how long, why, and when told."""
    sentences = [_what_and_when(report, names)]
    sentences.extend(_how_many(report))
    if report.signals.total:
        sentences.append(
            f"Customers contacted us {report.signals.total:,} "
            f"time{'s' if report.signals.total != 1 else ''} about it "
            f"({report.signals.customers:,} different people)."
        )
    if report.root_cause:
        sentences.append(f"The problem most likely started in {report.root_cause}.")
    told = report.milestones.durations.communicate
    if told is not None:
        sentences.append(
            f"Customers were first told {plain_duration(told)} after the problem began."
        )
    else:
        sentences.append("No message to customers was recorded.")
    return " ".join(sentences)


def _what_and_when(report: Report, names: Mapping[str, str]) -> str:
    start = report.window_start
    day = start.strftime("%A %-d %B %Y")
    if report.resolved_at is not None:
        period = (
            f"On {day}, from {start:%H:%M} to {report.window_end:%H:%M} UTC "
            f"({plain_duration(report.duration)})"
        )
    else:
        period = f"Since {day} at {start:%H:%M} UTC ({plain_duration(report.duration)} so far)"
    if not report.impacts:
        return f"{period}, our systems had a problem that did not reach any customer service."
    worst = min(
        (i.peak_state for i in report.impacts if i.peak_state in _HOW),
        key=_ORDER.index,
        default="partial_outage",
    )
    listed = _join([_lower(names.get(i.touchpoint, i.name)) for i in report.impacts])
    return f"{period}, {listed} {_HOW[worst]} for some customers."


def _how_many(report: Report) -> list[str]:
    if report.estimate_status == "missing":
        return ["The number of affected customers has not been estimated."]
    parts = [_one(i) for i in report.impacts if i.affected is not None]
    out = []
    if parts:
        out.append("Customers affected: " + "; ".join(parts) + ".")
    exposed = [
        f"{i.exposed.words('customers')} had a scheduled {_lower(i.name)} in that time"
        for i in report.impacts
        if i.exposed is not None and i.scheduled
    ]
    if exposed:
        text = _join(exposed)
        out.append(text[:1].upper() + text[1:] + ".")
    if report.estimate_status == "provisional":
        out.append("These figures are provisional: the final estimate is not in yet.")
    return out


def _one(impact: TouchpointImpact) -> str:
    assert impact.affected is not None
    return f"{impact.name}, {impact.affected.words('customers')}"


def _lower(name: str) -> str:
    """``Card payments`` → ``card payments``; ``API access`` stays as it is."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
