"""Prometheus polling, for setups where no Alertmanager route reaches the monitor.

Each poll reads the firing alerts, compares them with what the store already
holds from Prometheus, and accepts only what changed (new occurrences and
resolutions) into the inbox, so the same pipeline as the webhook takes over and
the history does not fill with identical polls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

from monitor.ingest import IngestLimits, PrometheusQuery, RuleQuery, poll_alerts
from monitor.services.accept import Accepted, accept_delivery
from monitor.store import Store

log = logging.getLogger(__name__)

SOURCE = "prometheus"


def poll_prometheus(
    store: Store,
    *,
    client: PrometheusQuery,
    now: datetime,
    rules: Sequence[RuleQuery] = (),
) -> Accepted | None:
    """Poll once; returns the accepted delivery, or None when nothing changed."""
    with store.unit_of_work() as uow:
        previous = uow.alerts.firing_from(SOURCE)
    result = poll_alerts(client, previous=previous, now=now, rules=rules, limits=IngestLimits())
    for problem in result.problems:
        log.warning("prometheus poll: %s", problem)
    known = {(a.fingerprint, a.starts_at) for a in previous.values()}
    new = [a for a in result.firing if (a.fingerprint, a.starts_at) not in known]
    changed = [*new, *result.resolved]
    if not changed:
        return None
    body = json.dumps(
        {
            "polled_at": now.isoformat(),
            "firing": [a.fingerprint for a in new],
            "resolved": [a.fingerprint for a in result.resolved],
        }
    ).encode()
    return accept_delivery(
        store,
        source=SOURCE,
        body=body,
        alerts=changed,
        rejected=[],
        received_at=now,
        meta={"problems": list(result.problems)},
        endpoint="prometheus-poller",
    )
