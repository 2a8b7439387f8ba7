"""Capture real webhook payloads from a real Alertmanager.

The parser's tests read payloads Alertmanager actually produced, not payloads
written by hand from its documentation, so that a field the documentation
forgets (or a format detail such as Go's zero time in ``endsAt``) is covered.
The same scenario runs in ``scripts/capture_alertmanager_payloads.py``, which
writes the fixtures, and in the slow end-to-end test, which checks that a live
Alertmanager still produces the same structure.

Labels match components of ``examples/catalog.yaml``: the PostgreSQL primary
(``db-primary-eu``), the message brokers and card authorisation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.processes import (
    ReceivedRequest,
    RunningProgram,
    WebhookReceiver,
    http_client,
    run_alertmanager,
    webhook_receiver,
)

OPS_PATH = "/hooks/ops"
EXTERNAL_URL = "http://alertmanager.example.com:9093"
"""Fixed so that the fixtures do not depend on the capturing machine's host name."""
PAYMENTS_PATH = "/hooks/payments"

POSTGRES_DOWN = {
    "alertname": "PostgresDown",
    "service": "postgres",
    "role": "primary",
    "severity": "critical",
    "region": "eu-west",
    "job": "postgres",
    "instance": "db-primary-eu-1:5432",
}
RABBIT_LABELS = {
    "alertname": "RabbitMQNodeDown",
    "service": "rabbitmq",
    "severity": "critical",
    "region": "eu-west",
    "job": "rabbitmq",
}
CARD_AUTH_ERRORS = {
    "alertname": "CardAuthHighErrorRate",
    "service": "card-auth",
    "team": "payments",
    "severity": "warning",
    "region": "eu-west",
    "site": "zürich-1",  # a non-ASCII value: fingerprints hash UTF-8 bytes
}


@dataclass(frozen=True)
class CapturedPayload:
    """One webhook delivery: a stable name for the scenario step and the raw body."""

    name: str
    path: str
    body: bytes
    headers: Mapping[str, str]


def alertmanager_config(receiver_url: str) -> dict[str, Any]:
    """Two receivers; alerts labelled ``team="payments"`` go to the second."""

    def receiver(name: str, path: str) -> dict[str, Any]:
        return {
            "name": name,
            "webhook_configs": [{"url": f"{receiver_url}{path}", "send_resolved": True}],
        }

    return {
        "route": {
            "receiver": "ops",
            "group_by": ["alertname", "service"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
            "routes": [{"receiver": "payments", "matchers": ['team="payments"']}],
        },
        "receivers": [receiver("ops", OPS_PATH), receiver("payments", PAYMENTS_PATH)],
    }


def capture_payloads(workdir: Path, *, timeout: float = 20.0) -> list[CapturedPayload]:
    """Start Alertmanager and a receiver, play the scenario, return the deliveries."""
    with webhook_receiver() as receiver:
        config = alertmanager_config(receiver.url)
        with run_alertmanager(
            workdir, config=config, extra_args=[f"--web.external-url={EXTERNAL_URL}"]
        ) as alertmanager:
            return _play(alertmanager, receiver, timeout=timeout)


def _play(
    alertmanager: RunningProgram, receiver: WebhookReceiver, *, timeout: float
) -> list[CapturedPayload]:
    now = datetime.now(UTC).replace(microsecond=0)
    started = now - timedelta(minutes=5)
    captured: list[CapturedPayload] = []

    def step(name: str, alerts: Sequence[dict[str, Any]], expect: Callable[[Any], bool]) -> None:
        _post_alerts(alertmanager, alerts)
        request = receiver.wait_for(lambda r: _decoded_matches(r, expect), timeout=timeout)
        captured.append(
            CapturedPayload(
                name=name, path=request.path, body=request.body, headers=request.headers
            )
        )

    postgres = _alert(POSTGRES_DOWN, started, "PostgreSQL primary is not answering")
    step("postgres-down-firing", [postgres], _group("PostgresDown", "firing", 1, OPS_PATH))
    resolved = {**postgres, "endsAt": _rfc3339(datetime.now(UTC))}
    step("postgres-down-resolved", [resolved], _group("PostgresDown", "resolved", 1, OPS_PATH))

    brokers = [
        _alert({**RABBIT_LABELS, "instance": f"mq-{n}.eu-west:5672"}, started, "Broker down")
        for n in (1, 2)
    ]
    step("rabbitmq-two-nodes-down", brokers, _group("RabbitMQNodeDown", "firing", 2, OPS_PATH))
    one_back = [brokers[0], {**brokers[1], "endsAt": _rfc3339(datetime.now(UTC))}]
    step(
        "rabbitmq-one-node-resolved",
        one_back,
        _group("RabbitMQNodeDown", "firing", 2, OPS_PATH, resolved=1),
    )

    card = _alert(CARD_AUTH_ERRORS, started, "Card authorisations failing above 5%")
    step(
        "card-auth-errors-payments",
        [card],
        _group("CardAuthHighErrorRate", "firing", 1, PAYMENTS_PATH),
    )
    return captured


def _alert(labels: Mapping[str, str], starts_at: datetime, summary: str) -> dict[str, Any]:
    return {
        "labels": dict(labels),
        "annotations": {
            "summary": summary,
            "runbook_url": f"https://runbooks.example.com/{labels['alertname']}",
        },
        "startsAt": _rfc3339(starts_at),
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=up%3D%3D0&g0.tab=1",
    }


def _post_alerts(alertmanager: RunningProgram, alerts: Sequence[Mapping[str, Any]]) -> None:
    with http_client() as client:
        client.post(f"{alertmanager.url}/api/v2/alerts", json=list(alerts)).raise_for_status()


def _group(
    alertname: str, status: str, count: int, path: str, *, resolved: int = 0
) -> Callable[[Any], bool]:
    def matches(payload: Any) -> bool:
        alerts = payload.get("alerts", [])
        return bool(
            payload.get("_path") == path
            and payload.get("groupLabels", {}).get("alertname") == alertname
            and payload.get("status") == status
            and len(alerts) == count
            and sum(a.get("status") == "resolved" for a in alerts)
            == resolved + (count if status == "resolved" else 0)
        )

    return matches


def _decoded_matches(request: ReceivedRequest, expect: Callable[[Any], bool]) -> bool:
    try:
        payload = json.loads(request.body)
    except ValueError:
        return False
    return isinstance(payload, dict) and expect({**payload, "_path": request.path})


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def structure(value: Any) -> Any:
    """The shape of a JSON value: keys and types, not contents (lists by their first item)."""
    if isinstance(value, dict):
        return {key: structure(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [structure(value[0])] if value else []
    return type(value).__name__
