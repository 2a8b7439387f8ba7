"""Which series fire in each incident, kept in memory by the process that processes alerts.

Every group of batches refreshes the picture of each incident it touched,
and the picture needs the incident's firing series and its alert counts.
Read from the store, that is a query returning every firing series of the
incident and another counting its occurrences, so a storm whose incidents
grow to thousands of alerts paid for their size at every group. Only the
pipeline fires, resolves and moves occurrences, so it can keep both up to
date instead: an incident is read once, then followed. Anything uncertain
(an incident not read yet, a failed transaction, a new leader) falls back to
reading the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from monitor.store import UnitOfWork


@dataclass
class _Followed:
    firing: Counter[str] = field(default_factory=Counter)
    """Firing occurrences per series (a series may start again)."""
    total: int = 0
    """Every occurrence the incident holds, firing or resolved."""


class FiringIndex:
    """Firing series and alert counts per incident, for incidents with something firing."""

    def __init__(self) -> None:
        self._by_incident: dict[int, _Followed] = {}

    def clear(self) -> None:
        """Forget everything: the next reads come from the store (after a failed transaction)."""
        self._by_incident.clear()

    def fired(self, incident_id: int, fingerprint: str) -> None:
        """An occurrence of ``fingerprint`` started firing in the incident."""
        known = self._by_incident.get(incident_id)
        if known is not None:
            known.firing[fingerprint] += 1
            known.total += 1

    def resolved(self, incident_id: int, fingerprint: str) -> None:
        """An occurrence of ``fingerprint`` in the incident resolved."""
        known = self._by_incident.get(incident_id)
        if known is None:
            return
        known.firing[fingerprint] -= 1
        if known.firing[fingerprint] <= 0:
            del known.firing[fingerprint]
        if not known.firing:
            # nothing fires any more: keep no entry, so the index holds firing alerts only
            del self._by_incident[incident_id]

    def merged(self, *, loser: int, winner: int) -> None:
        """The loser's occurrences moved to the winner."""
        gone = self._by_incident.pop(loser, None)
        kept = self._by_incident.get(winner)
        if gone is None or kept is None:
            self._by_incident.pop(winner, None)  # read the winner again when needed
            return
        kept.firing.update(gone.firing)
        kept.total += gone.total

    def of(self, uow: UnitOfWork, incident_id: int) -> frozenset[str]:
        """The incident's firing series, read from the store the first time."""
        return frozenset(self._followed(uow, incident_id).firing)

    def counts(self, uow: UnitOfWork, incident_id: int) -> tuple[int, int]:
        """(firing, total) occurrences of the incident, as ``AlertRepository.counts`` gives."""
        known = self._followed(uow, incident_id)
        return sum(known.firing.values()), known.total

    def _followed(self, uow: UnitOfWork, incident_id: int) -> _Followed:
        known = self._by_incident.get(incident_id)
        if known is not None:
            return known
        firing = Counter(uow.alerts.firing_fingerprints(incident_id))
        known = _Followed(firing=firing, total=uow.alerts.counts(incident_id)[1])
        if firing:
            self._by_incident[incident_id] = known
        return known
