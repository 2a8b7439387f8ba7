"""How the demo shows what happens: a log of lines, and a live panel of the current picture.

On a terminal the panel stays at the bottom and redraws; elsewhere (a pipe,
a CI log) only the lines are printed, and the panel once at the end, so the
output reads as a story either way.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from monitor.demo.observe import Line, View

_STYLES = {
    "alert": "bold red",
    "resolved": "bold green",
    "touchpoint": "yellow",
    "incident": "cyan",
    "estimate": "magenta",
    "slack": "blue",
    "status page": "bold yellow",
    "report": "bold green",
    "on-call": "cyan",
    "clock": "dim",
}
_STATE_STYLES = {
    "major_outage": "bold red",
    "partial_outage": "red",
    "degraded_performance": "yellow",
    "under_maintenance": "blue",
    "operational": "green",
}


def line_text(line: Line) -> Text:
    """One log line: simulated time, what kind of thing, what happened."""
    text = Text(f"{line.at:%a %H:%M} ", style="dim")
    text.append(f"{line.kind:<12}", style=_STYLES.get(line.kind, ""))
    text.append(f" {line.text}")
    return text


def panel(view: View, *, now: datetime, speed: float, url: str) -> RenderableType:
    """The current picture: clock, touchpoints, incidents with estimates, last messages."""
    head = Text(f"{now:%A %d %B %Y %H:%M:%S} UTC (×{speed:g})   status page {url}/   ")
    head.append(f"indicator {view.indicator}", style=_indicator_style(view.indicator))
    parts: list[RenderableType] = [head, incidents_table(view)]
    if view.messages:
        parts.append(Text("Latest messages", style="bold"))
        parts.extend(Text(f"  {m[:160]}", style="blue") for m in view.messages)
    return Panel(Group(*parts), title="monitor demo", border_style="dim")


def incidents_table(view: View) -> Table:
    """Incidents with severity, touchpoint states, latest estimates and explanation."""
    table = Table(expand=True, show_lines=True)
    for column in ("incident", "touchpoints (worst, once resolved)", "affected customers", "why"):
        table.add_column(column, overflow="fold")
    for incident in view.incidents:
        states = incident["touchpoints"] or incident["peak_touchpoints"]
        touchpoints = Text()
        for tp, state in sorted(states.items()):
            touchpoints.append(f"{tp}: ", style="")
            touchpoints.append(f"{state}\n", style=_STATE_STYLES.get(state, ""))
        estimates = view.estimates.get(incident["id"], {})
        figures = "\n".join(f"{tp}: {text}" for tp, text in estimates.items()) or "pending"
        if incident["id"] in view.final:
            figures = "final\n" + figures
        why = "\n".join(incident["explanation"][:4]) or incident["title"]
        table.add_row(
            f"#{incident['id']} {incident['state']}\n{incident['severity']}",
            touchpoints,
            figures,
            why,
        )
    if not view.incidents:
        table.add_row("none", "", "", "")
    return table


def _indicator_style(indicator: str) -> str:
    return {"none": "green", "minor": "yellow", "major": "red", "critical": "bold red"}.get(
        indicator, ""
    )
