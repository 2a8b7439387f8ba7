"""Alertmanager's webhook payload (version "4") and its translation to domain alerts.

The models mirror what Alertmanager's ``webhook_configs`` receiver POSTs (see
``notify/webhook/webhook.go`` and ``template.Data``). Unknown fields are
ignored rather than refused, because the payload belongs to Alertmanager and
newer releases may add fields without changing ``version``.

Two facts of the format shape the translation:

* a firing alert carries ``endsAt: "0001-01-01T00:00:00Z"`` (Go's zero time):
  Alertmanager hides its internal expiry until the alert is resolved, so a
  firing alert becomes an :class:`~monitor.domain.Alert` with ``ends_at=None``;
* ``fingerprint`` is Alertmanager's label-set hash; it is kept when well
  formed so that our records and Alertmanager's UI name the same series.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.domain import Alert, AlertStatus
from monitor.errors import InputError
from monitor.ingest.fingerprint import is_fingerprint, labelset_fingerprint
from monitor.ingest.limits import IngestLimits
from monitor.ingest.validation import (
    BatchMeta,
    ItemRejectedError,
    ParsedBatch,
    check_labels,
    check_names_and_values,
    check_order,
    collect,
    describe_validation_error,
    json_type,
    link_or_none,
    load_json_object,
    parse_optional_time,
    parse_time,
    require_aware,
    require_item_list,
    validation_rejection,
)

SOURCE = "alertmanager"
WEBHOOK_VERSION = "4"
_STATUS = {s.value: s for s in AlertStatus}


class AlertmanagerAlert(BaseModel):
    """One alert of a webhook payload, as Alertmanager sends it."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: str = Field(alias="startsAt")
    ends_at: str | None = Field(default=None, alias="endsAt")
    generator_url: str | None = Field(default=None, alias="generatorURL")
    fingerprint: str | None = None


class AlertmanagerWebhook(BaseModel):
    """The envelope of a webhook payload; ``alerts`` are validated one by one."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    version: Literal["4"]
    receiver: str = ""
    status: Literal["firing", "resolved"] = "firing"
    group_key: str = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, ge=0, alias="truncatedAlerts")
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[Any]


def parse_alertmanager(body: bytes, *, now: datetime, limits: IngestLimits) -> ParsedBatch:
    """Parse a webhook body into domain alerts, rejecting bad alerts one by one.

    Raises InputError when the envelope itself is unusable (not JSON, not an
    object, ``version`` other than "4", no ``alerts`` list, too many alerts).
    """
    now = require_aware(now)
    document = load_json_object(body, what="body")
    if "version" not in document:
        raise InputError('version: missing (expected "4")')
    if document["version"] != WEBHOOK_VERSION:
        raise InputError(f'version: expected "4", got {_describe(document["version"])}')
    items = require_item_list(document, key="alerts", limits=limits)
    try:
        envelope = AlertmanagerWebhook.model_validate(document)
    except ValidationError as exc:
        raise InputError(describe_validation_error("", exc)) from None
    meta = BatchMeta(
        receiver=envelope.receiver,
        group_key=envelope.group_key,
        external_url=envelope.external_url,
        truncated_alerts=envelope.truncated_alerts,
    )
    return collect(
        items,
        key="alerts",
        convert=lambda raw, where: alert_from_webhook(raw, where=where, now=now, limits=limits),
        meta=meta,
    )


def alert_from_webhook(raw: object, *, where: str, now: datetime, limits: IngestLimits) -> Alert:
    """Validate one webhook alert and normalise it; raises ItemRejectedError."""
    if not isinstance(raw, dict):
        raise ItemRejectedError(f"{where}: expected an object, got {json_type(raw)}")
    try:
        item = AlertmanagerAlert.model_validate(raw)
    except ValidationError as exc:
        raise validation_rejection(where, exc) from None
    check_labels(item.labels, where=f"{where}.labels", limits=limits)
    if len(item.annotations) > limits.max_annotations:
        raise ItemRejectedError(
            f"{where}.annotations: {len(item.annotations)} annotations, "
            f"more than {limits.max_annotations}"
        )
    check_names_and_values(
        item.annotations, where=f"{where}.annotations", max_value=limits.max_annotation_value
    )
    starts_at = parse_time(item.starts_at, where=f"{where}.startsAt", now=now, limits=limits)
    ends_at = None
    if item.ends_at is not None:
        ends_at = parse_optional_time(item.ends_at, where=f"{where}.endsAt", now=now, limits=limits)
        check_order(starts_at, ends_at, where=f"{where}.endsAt")
    status = _STATUS[item.status]
    if status is AlertStatus.FIRING:
        ends_at = None
    elif ends_at is None:
        ends_at = max(now, starts_at)
    fingerprint = item.fingerprint
    if fingerprint is None or not is_fingerprint(fingerprint):
        fingerprint = labelset_fingerprint(item.labels)
    return Alert(
        fingerprint=fingerprint,
        source=SOURCE,
        status=status,
        # pydantic built these dicts for the model: nothing else holds them
        labels=item.labels,
        annotations=item.annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=link_or_none(item.generator_url),
    )


def _describe(value: object) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:19] + "…"
        return f'"{shown}"'
    return json_type(value)
