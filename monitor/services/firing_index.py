"""Which series fire in each incident, kept in memory by the process that processes alerts.

Every group of batches refreshes the picture of each incident it touched,
and the picture needs the incident's firing series. Read from the store,
that is a query returning every firing series of the incident, so a storm
whose incidents grow to thousands of alerts paid for their size at every
group. Only the pipeline fires, resolves and moves occurrences, so it can
keep the sets up to date instead: an incident is read once, then followed.
Anything uncertain (an incident not read yet, a failed transaction, a new
leader) falls back to reading the store.
"""

from __future__ import annotations

from collections import Counter

from monitor.store import UnitOfWork


class FiringIndex:
    """Firing occurrences per incident, counted per series (a series may start again)."""

    def __init__(self) -> None:
        self._by_incident: dict[int, Counter[str]] = {}

    def clear(self) -> None:
        """Forget everything: the next reads come from the store (after a failed transaction)."""
        self._by_incident.clear()

    def fired(self, incident_id: int, fingerprint: str) -> None:
        """An occurrence of ``fingerprint`` started firing in the incident."""
        known = self._by_incident.get(incident_id)
        if known is not None:
            known[fingerprint] += 1

    def resolved(self, incident_id: int, fingerprint: str) -> None:
        """An occurrence of ``fingerprint`` in the incident resolved."""
        known = self._by_incident.get(incident_id)
        if known is None:
            return
        known[fingerprint] -= 1
        if known[fingerprint] <= 0:
            del known[fingerprint]
        if not known:
            # nothing fires any more: keep no entry, so the index holds firing alerts only
            del self._by_incident[incident_id]

    def merged(self, *, loser: int, winner: int) -> None:
        """The loser's occurrences moved to the winner."""
        gone = self._by_incident.pop(loser, None)
        kept = self._by_incident.get(winner)
        if gone is None or kept is None:
            self._by_incident.pop(winner, None)  # read the winner again when needed
            return
        kept.update(gone)

    def of(self, uow: UnitOfWork, incident_id: int) -> frozenset[str]:
        """The incident's firing series, read from the store the first time."""
        known = self._by_incident.get(incident_id)
        if known is None:
            known = Counter(uow.alerts.firing_fingerprints(incident_id))
            if known:
                self._by_incident[incident_id] = known
        return frozenset(known)
