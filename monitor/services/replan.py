"""When to plan playbooks again for an incident that a batch of alerts touched.

An alert that opens an incident, resolves one, merges two, hurts a touchpoint
new to the incident or changes a touchpoint's state has the incident's picture
refreshed and its playbooks planned in the transaction that records it: that
is what people are told about. An alert that only joins an incident changes
no trigger the playbooks use; in a storm, refreshing and planning the same
big incident again for every group of such alerts cost the worker more than
the alerts themselves, and delayed every other incident's first message.
Those incidents are refreshed and planned again once ``REPLAN_SECONDS`` have
passed; the dispatcher's periodic review plans every open incident anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

REPLAN_SECONDS = 2.0


class Replans:
    """Touched incidents waiting to be planned again, and which are due."""

    def __init__(
        self, *, every: float = REPLAN_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._clock = clock
        self._waiting: dict[int, float] = {}

    def due(self, touched: Collection[int], *, urgent: Collection[int]) -> set[int]:
        """What to plan now: the urgent incidents, and those that waited long enough."""
        now = self._clock()
        for incident_id in set(touched) - set(urgent):
            self._waiting.setdefault(incident_id, now)
        ready = {i for i, since in self._waiting.items() if now - since >= self._every}
        planned = ready | set(urgent)
        for incident_id in planned:
            self._waiting.pop(incident_id, None)
        return planned

    def waiting(self) -> bool:
        """True while some incident waits to be planned."""
        return bool(self._waiting)
