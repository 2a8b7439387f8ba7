"""``monitor impact``: estimate a window's impact from Prometheus and the operational database.

It reads only those two sources (never a simulator's ground truth) and
prints one JSON object::

    {"start": iso, "end": iso, "touchpoints": [{"id", "affected_customers": {...} | null,
     "failed_interactions": {...} | null, "exposed_customers": {...} | null,
     "methods": [...], "quality": [...]}]}

A figure is null only when no method could estimate it, and ``quality``
then says so: it is unknown, not zero.

Bad arguments raise ``InputError`` (the CLI exits 2), a bad catalog
``ConfigError`` (exit 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.catalog import Catalog, load_catalog
from monitor.domain import Interval
from monitor.errors import InputError
from monitor.impact import Sources, TouchpointImpact, Window, estimate_touchpoints, impact_json
from monitor.sources import PrometheusMetrics, SqlOperationalData


@dataclass(frozen=True)
class ImpactArgs:
    """The command's arguments, as given."""

    catalog: Path
    start: str
    end: str
    prometheus: str | None = None
    odata_url: str | None = None
    touchpoints: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    live: bool = False
    timeout_seconds: float = 10.0


def parse_time(text: str, *, name: str) -> datetime:
    """An ISO 8601 time; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"--{name}: not an ISO 8601 time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_impact(args: ImpactArgs, *, as_json: bool) -> str:
    """Estimate and render; the text to print."""
    start, end = parse_time(args.start, name="start"), parse_time(args.end, name="end")
    if end <= start:
        raise InputError("--end must be after --start")
    catalog = load_catalog(args.catalog)
    _check_names(catalog, args)
    if not args.prometheus and not args.odata_url:
        raise InputError("give --prometheus and/or --odata-url: there is nothing to read")
    window = Window(start, end)
    with _sources(args) as sources:
        impacts = estimate_touchpoints(
            catalog,
            window=window,
            sources=sources,
            touchpoints=args.touchpoints or None,
            live=args.live,
            failed_components=args.components,
        )
    return render_json(window, impacts) if as_json else render_text(window, impacts)


def _check_names(catalog: Catalog, args: ImpactArgs) -> None:
    unknown = [t for t in args.touchpoints if t not in catalog.touchpoints]
    if unknown:
        raise InputError(f"--touchpoint: not in the catalog: {', '.join(unknown)}")
    bad = [c for c in args.components if c not in catalog.components]
    if bad:
        raise InputError(f"--component: not in the catalog: {', '.join(bad)}")


@contextmanager
def _sources(args: ImpactArgs) -> Iterator[Sources]:
    metrics = (
        PrometheusMetrics(args.prometheus, timeout_seconds=args.timeout_seconds)
        if args.prometheus
        else None
    )
    operational = (
        SqlOperationalData.from_url(args.odata_url, timeout_seconds=args.timeout_seconds)
        if args.odata_url
        else None
    )
    try:
        yield Sources(metrics=metrics, operational=operational)
    finally:
        if operational is not None:
            operational.dispose()


def render_json(window: Window, impacts: list[TouchpointImpact]) -> str:
    """The command's JSON contract."""
    document = {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "touchpoints": [
            {"id": i.estimate.touchpoint, **impact_json(i, timeline=False)} for i in impacts
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False)


def render_text(window: Window, impacts: list[TouchpointImpact]) -> str:
    """A few lines per touchpoint for people."""
    lines = [f"impact from {window.start.isoformat()} to {window.end.isoformat()} (90% intervals)"]
    for i in impacts:
        e = i.estimate
        lines.append(
            f"{e.touchpoint}: affected customers {_figure(e.affected_customers)}, "
            f"failed interactions {_figure(e.failed_interactions)}"
            + (f", exposed customers {e.exposed_customers.estimate}" if e.exposed_customers else "")
        )
        lines.extend(f"    method  {m}" for m in e.methods)
        lines.extend(f"    quality {q}" for q in e.quality)
    return "\n".join(lines)


def _figure(value: Interval | None) -> str:
    return "unknown" if value is None else f"{value.estimate} [{value.low}–{value.high}]"
