"""Rendering a ``Report`` as Markdown, HTML (with inline SVG charts) or JSON.

The templates live in ``report/templates``; they only format what the model
holds. HTML is autoescaped; Markdown escapes the few characters that would
change a table. JSON is the model itself with times as ISO strings and
durations in seconds.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from monitor.report.charts import affected_chart, state_bands
from monitor.report.model import Report, human_duration
from monitor.report.period import PeriodSummary


class ReportFormat(StrEnum):
    """The formats a report is rendered in."""

    MD = "md"
    HTML = "html"
    JSON = "json"


MEDIA_TYPES = {
    ReportFormat.MD: "text/markdown; charset=utf-8",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.JSON: "application/json",
}

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Environment:
    # HTML templates are escaped; Markdown ones are not (they escape table cells with ``cell``).
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html.j2"], default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["duration"] = human_duration
    env.filters["when"] = when
    env.filters["cell"] = cell
    env.filters["words"] = lambda name: name.replace("_", " ")
    return env


def render(report: Report, fmt: ReportFormat) -> str:
    """The report as text in ``fmt``."""
    if fmt is ReportFormat.JSON:
        return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt is ReportFormat.MD:
        return _environment().get_template("report.md.j2").render(r=report)
    names = {i.touchpoint: i.name for i in report.impacts}
    charts = {
        "affected": Markup(  # noqa: S704 - built from escaped parts in report.charts
            affected_chart(
                report.series, names=names, start=report.window_start, end=report.window_end
            )
        ),
        "states": Markup(  # noqa: S704 - built from escaped parts in report.charts
            state_bands(report.bands, names=names, start=report.window_start, end=report.window_end)
        ),
    }
    has_normal = any(p.normal is not None for points in report.series.values() for p in points)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(r=report, charts=charts, has_normal=has_normal)
    )


def render_period(summary: PeriodSummary, fmt: ReportFormat) -> str:
    """The period summary as text in ``fmt`` (HTML wraps the Markdown tables in a page)."""
    if fmt is ReportFormat.JSON:
        return json.dumps(plain(dataclasses.asdict(summary)), indent=2, ensure_ascii=False) + "\n"
    text = _environment().get_template("period.md.j2").render(p=summary)
    if fmt is ReportFormat.MD:
        return text
    return _environment().get_template("period.html.j2").render(p=summary, text=text)


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values."""
    value = plain(dataclasses.asdict(report))
    assert isinstance(value, dict)
    value["duration_seconds"] = report.duration.total_seconds()
    return value


def plain(value: Any) -> Any:
    """Datetimes as ISO strings, durations as seconds, tuples as lists, recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def when(value: datetime | None) -> str:
    """``2026-11-25 18:04 UTC``, or an em dash."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
