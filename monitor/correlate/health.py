"""A component's own health, read from the alerts that are about it.

Severity words differ between teams and tools, so they are folded into four
levels here, once. The rules:

* ``severity`` critical, page, error, emergency, disaster → down;
  warning, major, minor, high, medium → degraded;
  info, none, low → up (the alert is recorded, it does not hurt anything);
  missing or any other word → degraded, because an alert nobody classified is
  more likely a problem than not, and "down" would overstate it.
* A label ``impact`` of down, degraded or none overrides the severity (none
  means up); ``impact="unknown"`` marks the component unknown (its health
  source is stale or blind). Any other ``impact`` value is ignored.
* Only firing alerts count; the worst level of several alerts wins, in the
  order up < unknown < degraded < down.

Levels are small integers internally (``UP`` … ``DOWN``) because propagation
compares them millions of times; ``as_health`` turns them back into the enum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from monitor.domain import Alert, AlertStatus, ComponentHealth

UP: Final = 0
UNKNOWN: Final = 1
DEGRADED: Final = 2
DOWN: Final = 3
LEVELS: Final = (UP, UNKNOWN, DEGRADED, DOWN)

_HEALTH: Final = (
    ComponentHealth.UP,
    ComponentHealth.UNKNOWN,
    ComponentHealth.DEGRADED,
    ComponentHealth.DOWN,
)
_RANK: Final = {health: level for level, health in enumerate(_HEALTH)}

SEVERITY_LEVELS: Final[Mapping[str, int]] = {
    **dict.fromkeys(("critical", "page", "error", "emergency", "disaster"), DOWN),
    **dict.fromkeys(("warning", "major", "minor", "high", "medium"), DEGRADED),
    **dict.fromkeys(("info", "none", "low"), UP),
}
IMPACT_LEVELS: Final[Mapping[str, int]] = {
    "down": DOWN,
    "degraded": DEGRADED,
    "none": UP,
    "unknown": UNKNOWN,
}


def as_health(level: int) -> ComponentHealth:
    """The enum value of an internal level."""
    return _HEALTH[level]


def level_of(health: ComponentHealth) -> int:
    """The internal level of a health value (its rank in up < unknown < degraded < down)."""
    return _RANK[health]


def _label(labels: Mapping[str, str], name: str) -> str:
    value = labels.get(name)
    return value.strip().lower() if isinstance(value, str) else ""


def alert_level(alert: Alert) -> int:
    """The level one firing alert gives its components (``impact`` beats ``severity``)."""
    impact = IMPACT_LEVELS.get(_label(alert.labels, "impact"))
    if impact is not None:
        return impact
    return SEVERITY_LEVELS.get(_label(alert.labels, "severity"), DEGRADED)


def alert_health(alert: Alert) -> ComponentHealth:
    """The health one alert implies for its components; resolved alerts imply up."""
    if alert.status is not AlertStatus.FIRING:
        return ComponentHealth.UP
    return as_health(alert_level(alert))


def own_health(alerts: Iterable[Alert]) -> ComponentHealth:
    """A component's own health from its alerts: the worst firing one, up when none."""
    worst = UP
    for alert in alerts:
        if alert.status is AlertStatus.FIRING:
            worst = max(worst, alert_level(alert))
    return as_health(worst)


def worst(*healths: ComponentHealth) -> ComponentHealth:
    """The worst of several health values (up when given none)."""
    return as_health(max((level_of(h) for h in healths), default=UP))


def is_failing(level: int) -> bool:
    """True for levels that hurt dependants (degraded, down); unknown is not a failure."""
    return level >= DEGRADED
