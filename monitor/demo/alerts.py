"""The alerts a company's Prometheus rules would raise for the scenario's faults.

Each fault becomes one alert about its component, with labels built from
the component's first group of catalog matchers (so the monitor maps it the
way it maps production alerts), ``critical`` when the component is down,
cut off or failing its batch runs and ``warning`` when it errors or slows.
It is sent as Alertmanager would: firing a little after the fault starts
(rule evaluation, ``for:`` and ``group_wait``), resolved a little after it
ends, in version-4 webhooks with real fingerprints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.catalog import Catalog
from monitor.demo.world import Fault
from monitor.domain import MatchOp
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.sim import FaultKind

ZERO_TIME = "0001-01-01T00:00:00Z"
DETECTION_DELAY = timedelta(minutes=1)
"""Between a fault starting (or ending) and Alertmanager's webhook saying so."""

_NAMES = {
    FaultKind.DOWN: "Down",
    FaultKind.ERROR_RATIO: "HighErrorRate",
    FaultKind.LATENCY: "HighLatency",
    FaultKind.REGION_CUT: "Unreachable",
    FaultKind.BATCH_FAILURE: "JobFailing",
}
_CRITICAL = {FaultKind.DOWN, FaultKind.REGION_CUT, FaultKind.BATCH_FAILURE}


@dataclass(frozen=True)
class DemoAlert:
    """One alert of the play: its labels and when it fires and resolves."""

    fault: Fault
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime

    @property
    def name(self) -> str:
        """The alert's name."""
        return self.labels["alertname"]

    @property
    def fires_at(self) -> datetime:
        """When the firing webhook is sent."""
        return self.starts_at + DETECTION_DELAY

    @property
    def resolves_at(self) -> datetime:
        """When the resolved webhook is sent."""
        return self.ends_at + DETECTION_DELAY


def alerts_for(faults: Sequence[Fault], catalog: Catalog) -> list[DemoAlert]:
    """One alert per fault, in the order they fire."""
    found = [_alert(f, catalog) for f in faults]
    return sorted(found, key=lambda a: a.fires_at)


def _alert(fault: Fault, catalog: Catalog) -> DemoAlert:
    spec = fault.spec
    component = catalog.components[spec.component]
    labels = component_labels(catalog, spec.component)
    name = _pascal(spec.component) + _NAMES[spec.kind]
    severity = "critical" if spec.kind in _CRITICAL else "warning"
    labels = {"alertname": name, **labels, "severity": severity}
    starts = fault.start
    if spec.kind is FaultKind.LATENCY and spec.ramp:
        # A slowly growing latency crosses the rule's threshold well after it starts.
        starts = fault.start + (fault.end - fault.start) / 3
    summary = spec.title or f"{component.name}: {spec.kind.value.replace('_', ' ')}"
    return DemoAlert(
        fault=fault,
        labels=labels,
        annotations={"summary": summary},
        starts_at=starts,
        ends_at=fault.end,
    )


def component_labels(catalog: Catalog, component_id: str) -> dict[str, str]:
    """Labels that the component's first matcher group accepts (empty if none can be built).

    Equality matchers give their value; a regular expression gives its
    literal prefix when that prefix matches it (``mq-1.*`` gives ``mq-1``).
    """
    component = catalog.components[component_id]
    if not component.matchers:
        return {}
    labels: dict[str, str] = {}
    for matcher in component.matchers[0]:
        if matcher.op is MatchOp.EQ:
            labels[matcher.name] = matcher.value
        elif matcher.op is MatchOp.RE:
            prefix = re.split(r"[.*+?\[\](){}|\\^$]", matcher.value, maxsplit=1)[0]
            if re.fullmatch(matcher.value, prefix):
                labels[matcher.name] = prefix
    return labels if component.matches(labels) else {}


def _pascal(identifier: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", identifier) if part)


def webhook_body(alerts: Sequence[DemoAlert], *, resolved: bool) -> bytes:
    """The alerts as one Alertmanager version-4 webhook body, firing or resolved."""
    items: list[dict[str, Any]] = [
        {
            "status": "resolved" if resolved else "firing",
            "labels": dict(a.labels),
            "annotations": dict(a.annotations),
            "startsAt": _iso(a.starts_at),
            "endsAt": _iso(a.ends_at) if resolved else ZERO_TIME,
            "generatorURL": "http://prometheus.demo:9090/graph",
            "fingerprint": labelset_fingerprint(a.labels),
        }
        for a in alerts
    ]
    return json.dumps(
        {
            "version": "4",
            "receiver": "outage-monitor",
            "status": "resolved" if resolved else "firing",
            "groupKey": "{}:{demo}",
            "truncatedAlerts": 0,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.demo:9093",
            "alerts": items,
        }
    ).encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
