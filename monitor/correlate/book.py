"""The current firing alerts, what they are about, and each component's own level.

Alerts are kept by fingerprint: a newer alert with the same fingerprint
replaces the older one, a resolved one removes it. An alert on a component
under maintenance is recorded for that component but does not count toward
its health; an alert all of whose components are under maintenance is
"suppressed". Two sets of own levels are kept: ``counted`` (what really
counts) and ``everything`` (as if there were no maintenance), so that a
touchpoint failing only because of maintenance work can be shown as
under_maintenance instead of operational.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from monitor.correlate.health import UP, alert_level
from monitor.correlate.match import MatchIndex
from monitor.domain import Alert, AlertStatus


@dataclass(frozen=True)
class Entry:
    """One firing alert with the components it is about."""

    alert: Alert
    components: frozenset[str]
    counted: frozenset[str]
    """The components outside maintenance, for which the alert counts."""
    level: int

    @property
    def suppressed(self) -> bool:
        """True when the alert is mapped but every component is under maintenance."""
        return bool(self.components) and not self.counted


class Levels:
    """The alerts on one component by fingerprint, with a running count per level."""

    __slots__ = ("by_fingerprint", "counts")

    def __init__(self) -> None:
        self.by_fingerprint: dict[str, int] = {}
        self.counts = [0, 0, 0, 0]

    def add(self, fingerprint: str, level: int) -> None:
        """Record an alert's level."""
        self.by_fingerprint[fingerprint] = level
        self.counts[level] += 1

    def remove(self, fingerprint: str) -> None:
        """Forget an alert."""
        self.counts[self.by_fingerprint.pop(fingerprint)] -= 1

    def top(self) -> int:
        """The worst level recorded, up when none."""
        for level in (3, 2, 1):
            if self.counts[level]:
                return level
        return UP


@dataclass(frozen=True)
class BookChange:
    """An alert's entry before and after one update."""

    before: Entry | None
    after: Entry | None

    @property
    def touched(self) -> frozenset[str]:
        """Components whose alerts changed."""
        old = self.before.components if self.before else frozenset()
        new = self.after.components if self.after else frozenset()
        return old | new


class AlertBook:
    """Firing alerts by fingerprint, and per component the levels they imply."""

    def __init__(self, index: MatchIndex, *, under_maintenance: frozenset[str]) -> None:
        self.index = index
        self.under_maintenance = under_maintenance
        self.entries: dict[str, Entry] = {}
        self.counted: dict[str, Levels] = {}
        self.everything: dict[str, Levels] = {}

    def apply(self, alert: Alert) -> BookChange:
        """Upsert a firing alert or drop a resolved one, keeping the levels current."""
        fingerprint = alert.fingerprint
        before = self.entries.pop(fingerprint, None)
        if before is not None:
            self._unrecord(fingerprint, before)
        if alert.status is not AlertStatus.FIRING:
            return BookChange(before=before, after=None)
        components = self.index.components_for(alert.labels)
        after = Entry(
            alert=alert,
            components=components,
            counted=components - self.under_maintenance,
            level=alert_level(alert),
        )
        self.entries[fingerprint] = after
        self._record(fingerprint, after)
        return BookChange(before=before, after=after)

    def own(self, component: str, *, counted: bool) -> int:
        """A component's own level from its alerts, counted ones or all of them."""
        levels = (self.counted if counted else self.everything).get(component)
        return levels.top() if levels else UP

    def own_levels(self, *, counted: bool) -> dict[str, int]:
        """Every component's own level that is not up."""
        table = self.counted if counted else self.everything
        return {c: lv for c, levels in table.items() if (lv := levels.top()) > UP}

    def alerts_on(self, component: str, *, counted: bool) -> Mapping[str, int]:
        """Fingerprint → level of the alerts on a component."""
        levels = (self.counted if counted else self.everything).get(component)
        return levels.by_fingerprint if levels else {}

    def unmapped(self) -> Iterator[Entry]:
        """Firing alerts that are about no catalog component."""
        return (e for e in self.entries.values() if not e.components)

    def suppressed(self) -> Iterator[Entry]:
        """Firing alerts whose every component is under maintenance."""
        return (e for e in self.entries.values() if e.suppressed)

    def _record(self, fingerprint: str, entry: Entry) -> None:
        for component in entry.components:
            self.everything.setdefault(component, Levels()).add(fingerprint, entry.level)
        for component in entry.counted:
            self.counted.setdefault(component, Levels()).add(fingerprint, entry.level)

    def _unrecord(self, fingerprint: str, entry: Entry) -> None:
        for component in entry.components:
            self._drop(self.everything, component, fingerprint)
        for component in entry.counted:
            self._drop(self.counted, component, fingerprint)

    @staticmethod
    def _drop(table: dict[str, Levels], component: str, fingerprint: str) -> None:
        levels = table[component]
        levels.remove(fingerprint)
        if not levels.by_fingerprint:
            del table[component]
