"""A generic JSON event format, for tools that are neither Prometheus nor Alertmanager.

Nagios, Zabbix, a cloud provider's status feed or a cron wrapper can report to
the monitor by POSTing one JSON object::

    {
      "events": [
        {
          "source": "nagios",
          "name": "PostgresDown",
          "status": "firing",
          "severity": "critical",
          "labels": {"service": "postgres", "role": "primary", "region": "eu-west"},
          "summary": "PostgreSQL primary is not answering",
          "description": "check_pgsql timed out three times in a row",
          "started_at": "2024-05-01T09:12:00Z",
          "dedup_key": "db-primary-eu/pgsql",
          "url": "https://nagios.example.com/cgi-bin/extinfo.cgi?host=db-primary-eu"
        }
      ]
    }

Fields of an event (unknown fields are refused, so typos are caught early):

``source`` (required)
    The reporting tool, lower case: ``[a-z0-9][a-z0-9_.-]*``, at most 63 characters.
``name`` (required)
    The alert's name; becomes the ``alertname`` label.
``status`` (required)
    ``"firing"`` or ``"resolved"``. Send the same event again with
    ``"resolved"`` when the problem is over.
``started_at`` (required)
    When the problem began, RFC 3339 with a time zone (``Z`` or ``+01:00``).
``ended_at``
    When it ended; for a resolved event without it, the time of receipt is used.
``severity``
    Becomes the ``severity`` label (e.g. ``critical``, ``warning``).
``labels``
    String values under Prometheus label names (``[a-zA-Z_][a-zA-Z0-9_]*``). They
    are what the catalog's matchers see, so use the same labels as Prometheus
    (``service``, ``role``, ``instance``, ``region``…). ``alertname`` and
    ``severity`` may appear here only with the same value as ``name`` and
    ``severity``.
``summary``, ``description``
    Text for people; become the annotations of the same names.
``dedup_key``
    Identifies the problem across events. Without it, the problem is identified
    by ``source``, ``name`` and ``labels``; with it, an event can change labels
    and still update the same alert.
``url``
    A link back to the reporting tool; ``http://`` or ``https://`` only.

Limits (labels per event, value lengths, events per payload, plausible times)
are those of :class:`~monitor.ingest.limits.IngestLimits`. A payload that is not
such an object is refused whole; an event that breaks a rule is rejected alone,
with a reason like ``events[2].started_at: not a RFC 3339 time``.
:func:`events_json_schema` gives the same contract as a JSON Schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.config import JsonDict

from monitor.domain import Alert, AlertStatus
from monitor.errors import InputError
from monitor.ingest.fingerprint import labelset_fingerprint
from monitor.ingest.limits import IngestLimits
from monitor.ingest.validation import (
    LABEL_NAME_RE,
    BatchMeta,
    ItemRejectedError,
    ParsedBatch,
    check_labels,
    check_names_and_values,
    check_order,
    collect,
    json_type,
    load_json_object,
    parse_optional_time,
    parse_time,
    require_aware,
    require_item_list,
    validation_rejection,
)

_SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
_RFC3339: JsonDict = {"format": "date-time"}


class Event(BaseModel):
    """One event of the generic format; see the module documentation."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    source: str = Field(pattern=_SOURCE_PATTERN, description="The reporting tool.")
    name: str = Field(min_length=1, max_length=256, description="Becomes `alertname`.")
    status: Literal["firing", "resolved"]
    started_at: str = Field(json_schema_extra=_RFC3339, description="RFC 3339 start time.")
    ended_at: str | None = Field(default=None, description="RFC 3339 end time.")
    severity: str | None = Field(default=None, min_length=1, max_length=64)
    labels: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra={"propertyNames": {"pattern": LABEL_NAME_RE.pattern}},
    )
    summary: str | None = None
    description: str | None = None
    dedup_key: str | None = Field(default=None, min_length=1, max_length=256)
    url: str | None = Field(default=None, max_length=2048, pattern=r"^[hH][tT][tT][pP][sS]?://")


class EventBatch(BaseModel):
    """The payload: a list of events (documentation and JSON Schema only).

    Parsing validates the events one by one so that one bad event does not
    refuse the others; this model describes the whole payload for senders.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    events: list[Event]


def events_json_schema(limits: IngestLimits | None = None) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of an events payload under ``limits``."""
    limits = limits or IngestLimits()
    schema = EventBatch.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["properties"]["events"]["maxItems"] = limits.max_alerts_per_batch
    event = schema["$defs"]["Event"]
    labels = event["properties"]["labels"]
    labels["maxProperties"] = limits.max_labels
    labels["additionalProperties"]["maxLength"] = limits.max_label_value
    for option in event["properties"]["ended_at"]["anyOf"]:
        if option.get("type") == "string":
            option.update(_RFC3339)
    for text in ("summary", "description"):
        for option in event["properties"][text]["anyOf"]:
            if option.get("type") == "string":
                option["maxLength"] = limits.max_annotation_value
    return schema


def parse_events(body: bytes, *, now: datetime, limits: IngestLimits) -> ParsedBatch:
    """Parse an events payload into domain alerts, rejecting bad events one by one.

    Raises InputError when the payload is not a JSON object with exactly one
    key, ``events``, holding a list within the batch limit.
    """
    now = require_aware(now)
    document = load_json_object(body, what="body")
    unknown = sorted(set(document) - {"events"})
    if unknown:
        raise InputError(f"{unknown[0][:40]}: unknown field (only `events` is allowed)")
    items = require_item_list(document, key="events", limits=limits)
    return collect(
        items,
        key="events",
        convert=lambda raw, where: alert_from_event(raw, where=where, now=now, limits=limits),
        meta=BatchMeta(),
    )


def alert_from_event(raw: object, *, where: str, now: datetime, limits: IngestLimits) -> Alert:
    """Validate one event and normalise it; raises ItemRejectedError."""
    if not isinstance(raw, dict):
        raise ItemRejectedError(f"{where}: expected an object, got {json_type(raw)}")
    try:
        event = Event.model_validate(raw)
    except ValidationError as exc:
        raise validation_rejection(where, exc) from None
    labels = _labels(event, where=where)
    check_labels(labels, where=f"{where}.labels", limits=limits)
    annotations = {
        key: value
        for key, value in (("summary", event.summary), ("description", event.description))
        if value
    }
    check_names_and_values(annotations, where=where, max_value=limits.max_annotation_value)
    starts_at = parse_time(event.started_at, where=f"{where}.started_at", now=now, limits=limits)
    ends_at = None
    if event.ended_at is not None:
        ends_at = parse_optional_time(
            event.ended_at, where=f"{where}.ended_at", now=now, limits=limits
        )
        check_order(starts_at, ends_at, where=f"{where}.ended_at")
    status = AlertStatus(event.status)
    if status is AlertStatus.FIRING:
        ends_at = None
    elif ends_at is None:
        ends_at = max(now, starts_at)
    return Alert(
        fingerprint=event_fingerprint(
            source=event.source, labels=labels, dedup_key=event.dedup_key
        ),
        source=event.source,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=event.url or None,
    )


def event_fingerprint(*, source: str, labels: dict[str, str], dedup_key: str | None) -> str:
    """Identify an event's alert series, namespaced by source so tools cannot collide.

    The extra names start with ``__``, which Prometheus reserves, so they can
    never clash with a real label.
    """
    if dedup_key is not None:
        return labelset_fingerprint({"__source__": source, "__dedup_key__": dedup_key})
    return labelset_fingerprint({**labels, "__source__": source})


def _labels(event: Event, *, where: str) -> dict[str, str]:
    labels = dict(event.labels)
    derived = {"alertname": event.name}
    if event.severity is not None:
        derived["severity"] = event.severity
    for key, value in derived.items():
        if labels.setdefault(key, value) != value:
            field = "name" if key == "alertname" else key
            raise ItemRejectedError(f"{where}.labels.{key}: differs from `{field}`")
    return labels
