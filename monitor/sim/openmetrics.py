"""Write the counted history as timestamped OpenMetrics text for ``promtool`` to backfill.

One sample per series per minute, stamped at the end of the minute, in
whole seconds. Each series is written in one run (all its samples in time
order), families are never interleaved, and the file ends with ``# EOF``,
which is what ``promtool tsdb create-blocks-from openmetrics`` expects.
Counters are cumulative from the start of the history, like a service that
started then. A labelled counter that only exists once something happened
(failures, timeouts) starts with a zero one minute before its first
increment, as a client library creates it on first use and Prometheus would
see it on the next scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import IO

from monitor.catalog import Catalog
from monitor.domain import ComponentKind, MatchOp
from monitor.sim import metrics as m
from monitor.sim.faults import SUCCESS, FaultPlan


@dataclass(frozen=True)
class Series:
    """One labelled series with one value per minute, from minute ``first`` on."""

    labels: Mapping[str, str]
    values: Sequence[float | int]
    first: int = 0


@dataclass(frozen=True)
class Family:
    """A metric family: name, type, help, and its series (sample name per series)."""

    name: str
    kind: str
    help: str
    series: list[tuple[str, Series]]


def scrape_labels(catalog: Catalog) -> dict[str, dict[str, str]]:
    """Target labels of each scraped component, chosen so that its matchers match them."""
    found: dict[str, dict[str, str]] = {}
    for comp in catalog.components.values():
        if comp.kind is ComponentKind.REGION:
            continue
        labels: dict[str, str] = {}
        for matcher in comp.matchers[0] if comp.matchers else ():
            if matcher.op is MatchOp.EQ:
                labels[matcher.name] = matcher.value
            elif matcher.op is MatchOp.RE and matcher.value.endswith(".*"):
                labels[matcher.name] = matcher.value[:-2] + ":9100"
        labels.setdefault("job", labels.get("service", comp.id))
        labels.setdefault("instance", f"{comp.id}:9100")
        if comp.region:
            labels.setdefault("region", comp.region)
        found[comp.id] = labels
    return found


def families(metrics: m.Metrics, *, catalog: Catalog, plan: FaultPlan) -> list[Family]:
    """Every family the company's services export, built from the per-minute counts."""
    out = [_requests(metrics), _durations(metrics), _active(metrics)]
    out.extend(_batch(metrics, catalog))
    out.append(_up(metrics.minutes, catalog=catalog, plan=plan))
    return [f for f in out if f.series]


def _cumulative(values: Iterable[int | float]) -> list[int | float]:
    return list(accumulate(values))


def _first_use(values: Sequence[int]) -> int:
    for i, v in enumerate(values):
        if v:
            return max(0, i - 1)
    return len(values)


def _requests(metrics: m.Metrics) -> Family:
    series: list[tuple[str, Series]] = []
    for tp, ts in sorted(metrics.touchpoints.items()):
        for (channel, outcome), counts in sorted(ts.requests.items()):
            first = 0 if outcome == SUCCESS else _first_use(counts)
            if first >= len(counts):
                continue
            labels = {"touchpoint": tp, "channel": channel, "outcome": outcome}
            series.append((m.REQUESTS, Series(labels, _cumulative(counts), first)))
    return Family(m.REQUESTS.removesuffix("_total"), "counter", "Requests by outcome.", series)


def _durations(metrics: m.Metrics) -> Family:
    series: list[tuple[str, Series]] = []
    name = m.DURATION
    for tp, ts in sorted(metrics.touchpoints.items()):
        running = [0] * metrics.minutes
        for le, counts in zip(m.LATENCY_BUCKETS, ts.buckets, strict=True):
            running = [a + b for a, b in zip(running, counts, strict=True)]
            bound = "+Inf" if le == float("inf") else repr(le)
            labels = {"touchpoint": tp, "le": bound}
            series.append((f"{name}_bucket", Series(labels, _cumulative(running))))
        total = _cumulative(running)
        series.append((f"{name}_count", Series({"touchpoint": tp}, total)))
        sums = [round(v, 3) for v in _cumulative(ts.latency_sum)]
        series.append((f"{name}_sum", Series({"touchpoint": tp}, sums)))
    return Family(name, "histogram", "Request latency.", series)


def _active(metrics: m.Metrics) -> Family:
    series = [
        (m.ACTIVE, Series({"touchpoint": tp}, m.active_customers(ts.started)))
        for tp, ts in sorted(metrics.touchpoints.items())
    ]
    return Family(m.ACTIVE, "gauge", "Customers who started an interaction lately.", series)


def _batch(metrics: m.Metrics, catalog: Catalog) -> list[Family]:
    runs: list[tuple[str, Series]] = []
    items: list[tuple[str, Series]] = []
    last: list[tuple[str, Series]] = []
    for job, bs in sorted(metrics.batch.items()):
        labels = scrape_labels(catalog).get(job, {"job": job})
        job_label = labels.get("job", job)
        for status, counts in sorted(bs.runs.items()):
            first = 0 if status == "success" else _first_use(counts)
            if first < len(counts):
                lab = {"job": job_label, "status": status}
                runs.append((m.BATCH_RUNS, Series(lab, _cumulative(counts), first)))
        items.append((m.BATCH_ITEMS, Series({"job": job_label}, _cumulative(bs.items))))
        successes = sorted(bs.successes)
        if successes:
            values = [0.0] * metrics.minutes
            current, k = 0.0, 0
            for minute in range(successes[0][0], metrics.minutes):
                while k < len(successes) and successes[k][0] <= minute:
                    current = round(successes[k][1])
                    k += 1
                values[minute] = current
            lab = {"job": job_label}
            last.append((m.BATCH_LAST_SUCCESS, Series(lab, values, successes[0][0])))
    return [
        Family(m.BATCH_RUNS.removesuffix("_total"), "counter", "Batch job runs.", runs),
        Family(m.BATCH_ITEMS.removesuffix("_total"), "counter", "Items processed.", items),
        Family(m.BATCH_LAST_SUCCESS, "gauge", "End of the last successful run.", last),
    ]


def _up(minutes: int, *, catalog: Catalog, plan: FaultPlan) -> Family:
    series: list[tuple[str, Series]] = []
    for comp_id, labels in sorted(scrape_labels(catalog).items()):
        values = [1] * minutes
        for minute in plan.faulty_minutes(frozenset({comp_id})):
            if 0 <= minute < minutes and not plan.up(comp_id, minute * 60.0 + 59.0):
                values[minute] = 0
        series.append(("up", Series(labels, values)))
    return Family("up", "gauge", "Whether the target could be scraped.", series)


def _label_text(labels: Mapping[str, str]) -> str:
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


def lines(fams: Sequence[Family], *, epoch0: int, first: int, stop: int) -> Iterator[str]:
    """The OpenMetrics text of minutes ``first`` to ``stop`` (exclusive), one chunk per series."""
    stamps = [str(epoch0 + 60 * (i + 1)) for i in range(stop)]
    for fam in fams:
        yield f"# HELP {fam.name} {fam.help}\n# TYPE {fam.name} {fam.kind}\n"
        for sample, series in fam.series:
            lo, hi = max(first, series.first), min(stop, len(series.values))
            if lo >= hi:
                continue
            prefix = sample + _label_text(series.labels) + " "
            values = series.values
            yield "".join([f"{prefix}{values[i]} {stamps[i]}\n" for i in range(lo, hi)])
    yield "# EOF\n"


def write_openmetrics(
    out_dir: Path, fams: Sequence[Family], *, epoch0: int, minutes: int, per_file: int = 1440
) -> list[Path]:
    """Write one file per ``per_file`` minutes (a day by default) into ``out_dir``.

    ``promtool`` reads its whole input once for every two-hour block it cuts,
    so one file for weeks of history would take it quadratic time; a file a
    day keeps backfilling linear. Returns the files in time order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.om"):
        old.unlink()
    written: list[Path] = []
    for index, first in enumerate(range(0, minutes, per_file)):
        path = out_dir / f"{index:04d}.om"
        with path.open("w", encoding="utf-8", newline="\n") as out:
            _write(
                out, lines(fams, epoch0=epoch0, first=first, stop=min(minutes, first + per_file))
            )
        written.append(path)
    return written


def _write(out: IO[str], chunks: Iterable[str]) -> None:
    for chunk in chunks:
        out.write(chunk)
