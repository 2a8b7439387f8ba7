"""Inline SVG charts for the HTML report, drawn by hand (no plotting library).

Two charts: affected customers so far over time, one line per touchpoint
with its 90% interval as a shaded band (and the normal traffic dashed when
the estimates carry it); and each touchpoint's state as a coloured band over
the incident window. Text is escaped; the output is a complete ``<svg>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from html import escape

from monitor.report.model import SeriesPoint, StateSpan

PALETTE = ("#175cd3", "#d92d20", "#1f9d55", "#e46a0c", "#7a5af8", "#0e9384", "#c11574")
STATE_COLOURS = {
    "operational": "#1f9d55",
    "degraded_performance": "#e3a008",
    "partial_outage": "#e46a0c",
    "major_outage": "#d92d20",
    "under_maintenance": "#2b6cb0",
}
WIDTH = 720
LEFT = 64
RIGHT = 16

_Scale = Callable[[datetime], float]
_YScale = Callable[[float], float]


def affected_chart(
    series: Mapping[str, Sequence[SeriesPoint]],
    *,
    names: Mapping[str, str],
    start: datetime,
    end: datetime,
) -> str:
    """Affected customers so far against time, per touchpoint; empty string without data."""
    if not any(series.values()) or end <= start:
        return ""
    height, top, bottom = 260, 16, 40
    peak = max(max(p.high, p.normal or 0) for points in series.values() for p in points) or 1
    scale_x = _scale_x(start, end)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / peak)

    parts = [_open_svg(height, "Affected customers over time")]
    parts.extend(_y_axis(peak, y, height=height))
    parts.extend(_x_axis(start, end, scale_x, baseline=height - bottom))
    for index, (touchpoint, points) in enumerate(sorted(series.items())):
        if not points:
            continue
        colour = PALETTE[index % len(PALETTE)]
        ordered = [SeriesPoint(start, 0, 0, 0, None), *sorted(points, key=lambda p: p.at)]
        upper = [f"{scale_x(p.at):.1f},{y(p.high):.1f}" for p in ordered]
        lower = [f"{scale_x(p.at):.1f},{y(p.low):.1f}" for p in reversed(ordered)]
        parts.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" fill-opacity="0.15"/>'
        )
        line = " ".join(f"{scale_x(p.at):.1f},{y(p.estimate):.1f}" for p in ordered)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        normal = [p for p in ordered if p.normal is not None]
        if normal:
            dashed = " ".join(f"{scale_x(p.at):.1f},{y(p.normal or 0):.1f}" for p in normal)
            parts.append(
                f'<polyline points="{dashed}" fill="none" stroke="{colour}" '
                'stroke-dasharray="4 3" stroke-width="1"/>'
            )
        last = ordered[-1]
        label = escape(names.get(touchpoint, touchpoint))
        parts.append(
            f'<text x="{scale_x(last.at) - 4:.1f}" y="{y(last.estimate) - 6:.1f}" '
            f'text-anchor="end" font-size="11" fill="{colour}">{label}: {last.estimate:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def state_bands(
    bands: Mapping[str, Sequence[StateSpan]],
    *,
    names: Mapping[str, str],
    start: datetime,
    end: datetime,
) -> str:
    """Each touchpoint's state as a band over [start, end]; empty string without touchpoints."""
    if not bands or end <= start:
        return ""
    row, top, bottom, label_w = 22, 8, 56, 200
    height = top + row * len(bands) + bottom
    scale_x = _scale_x(start, end, left=label_w)
    parts = [_open_svg(height, "Touchpoint states during the incident")]
    for index, (touchpoint, spans) in enumerate(sorted(bands.items())):
        y = top + index * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(_short(names.get(touchpoint, touchpoint)))}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{WIDTH - RIGHT - label_w}" height="{row - 6}"'
            f' fill="{STATE_COLOURS["operational"]}"/>'
        )
        for span in spans:
            x0, x1 = scale_x(span.start), scale_x(span.end)
            colour = STATE_COLOURS.get(span.state, "#667085")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 1):.1f}" '
                f'height="{row - 6}" fill="{colour}"><title>{escape(span.state)}</title></rect>'
            )
    axis_y = top + row * len(bands)
    parts.extend(_x_axis(start, end, scale_x, baseline=axis_y))
    x = 8
    for state, colour in STATE_COLOURS.items():
        parts.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" fill="{colour}"/>')
        text = state.replace("_", " ")
        parts.append(f'<text x="{x + 14}" y="{height - 9}" font-size="11">{text}</text>')
        x += 14 + 6 * len(text) + 14
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, limit: int = 30) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _open_svg(height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        'font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>"
    )


def _scale_x(start: datetime, end: datetime, *, left: int = LEFT) -> _Scale:
    span = (end - start).total_seconds()

    def x(at: datetime) -> float:
        share = min(max((at - start).total_seconds() / span, 0.0), 1.0)
        return left + (WIDTH - RIGHT - left) * share

    return x


def _x_axis(start: datetime, end: datetime, scale: _Scale, *, baseline: float) -> list[str]:
    parts = [
        f'<line x1="{scale(start):.1f}" y1="{baseline}" x2="{scale(end):.1f}" y2="{baseline}" '
        'stroke="#98a2b3"/>'
    ]
    ticks = 6
    for i in range(ticks + 1):
        at = start + (end - start) * i / ticks
        x = scale(at)
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{baseline + 16}" text-anchor="{anchor}" font-size="11" '
            f'fill="#667085">{at.strftime("%H:%M")}</text>'
        )
    return parts


def _y_axis(peak: int, y: _YScale, *, height: int) -> list[str]:
    parts = []
    for i in range(5):
        value = peak * i / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
            'stroke="#eaecf0"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#667085">{round(value):,}</text>'
        )
    parts.append(
        f'<text x="12" y="{height / 2:.0f}" font-size="11" fill="#667085" '
        f'transform="rotate(-90 12 {height / 2:.0f})" text-anchor="middle">customers</text>'
    )
    return parts
