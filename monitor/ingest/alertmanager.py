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

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from monitor.domain import Alert, AlertStatus
from monitor.errors import InputError
from monitor.ingest.fingerprint import is_fingerprint, labelset_fingerprint
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
    describe_validation_error,
    is_plain_json,
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


_DEFAULT_LIMITS = IngestLimits()
_Name = Annotated[str, StringConstraints(pattern=LABEL_NAME_RE.pattern)]
_LabelValue = Annotated[str, StringConstraints(max_length=_DEFAULT_LIMITS.max_label_value)]
_AnnotationValue = Annotated[
    str, StringConstraints(max_length=_DEFAULT_LIMITS.max_annotation_value)
]


class _CheckedAlert(AlertmanagerAlert):
    """An alert whose label and annotation names and sizes pydantic's core checks too.

    These are the rules :func:`normalise` applies with the default limits, so
    a storm's alerts skip the Python checks; an alert breaking one fails the
    whole fast validation and is then rejected, with its location, by them.
    """

    labels: Annotated[
        dict[_Name, _LabelValue], Field(min_length=1, max_length=_DEFAULT_LIMITS.max_labels)
    ]
    annotations: Annotated[
        dict[_Name, _AnnotationValue], Field(max_length=_DEFAULT_LIMITS.max_annotations)
    ] = Field(default_factory=dict)


class _Envelope(BaseModel):
    """What a webhook payload says besides its alerts."""

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


class AlertmanagerWebhook(_Envelope):
    """The envelope of a webhook payload; ``alerts`` are validated one by one."""

    alerts: list[Any]


class WellFormedWebhook(_Envelope):
    """A payload whose every alert has the right shape: a storm's usual delivery.

    Validated straight from the body's bytes in one call of pydantic's core,
    which costs about half as much as decoding the JSON and then validating a
    hundred alerts one call at a time. Any problem sends the body down the
    slow path, which finds each problem's location.
    """

    alerts: list[_CheckedAlert]


def parse_alertmanager(body: bytes, *, now: datetime, limits: IngestLimits) -> ParsedBatch:
    """Parse a webhook body into domain alerts, rejecting bad alerts one by one.

    Raises InputError when the envelope itself is unusable (not JSON, not an
    object, ``version`` other than "4", no ``alerts`` list, too many alerts).
    """
    now = require_aware(now)
    webhook = _well_formed(body) if limits == _DEFAULT_LIMITS else None
    if webhook is not None and len(webhook.alerts) <= limits.max_alerts_per_batch:
        return collect(
            webhook.alerts,
            key="alerts",
            convert=lambda item, where: _domain_alert(item, where=where, now=now, limits=limits),
            meta=_meta(webhook),
        )
    return parse_item_by_item(body, now=now, limits=limits)


def parse_item_by_item(body: bytes, *, now: datetime, limits: IngestLimits) -> ParsedBatch:
    """The full parse: every alert validated on its own, every problem with its location.

    :func:`parse_alertmanager` comes here when the one-call validation fails;
    on any body both give the same alerts and rejections (a property test).
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
    return collect(
        items,
        key="alerts",
        convert=lambda raw, where: alert_from_webhook(raw, where=where, now=now, limits=limits),
        meta=_meta(envelope),
    )


@dataclass(frozen=True)
class Screened:
    """A body found good throughout: how many alerts it holds, and its envelope's facts."""

    count: int
    meta: BatchMeta


def screen_alertmanager(body: bytes, *, now: datetime, limits: IngestLimits) -> Screened | None:
    """Whether :func:`parse_alertmanager` would accept every alert of ``body`` at ``now``.

    The accept path of a storm stops here: it stores the body as it came and
    the worker parses it later with the same ``now``, which gives the same
    alerts, so the sender's answer costs one validation in pydantic's core
    and no domain objects. None means some part needs the full parse (a
    rejected alert, a repaired string, other limits), which then says why.
    """
    now = require_aware(now)
    webhook = _well_formed(body) if limits == _DEFAULT_LIMITS else None
    if webhook is None or len(webhook.alerts) > limits.max_alerts_per_batch:
        return None
    # alerts evaluated together share their times: check each distinct pair once
    times = {(a.starts_at, a.ends_at) for a in webhook.alerts}
    try:
        for starts_at, ends_at in times:
            _times(starts_at, ends_at, where="alerts", now=now, limits=limits)
    except ItemRejectedError:
        return None
    return Screened(count=len(webhook.alerts), meta=_meta(webhook))


def _well_formed(body: bytes) -> WellFormedWebhook | None:
    """The payload validated in one call, or None when anything in it needs the slow path."""
    if not is_plain_json(body):
        return None
    try:
        return WellFormedWebhook.model_validate_json(body)
    except ValidationError:
        return None


def _meta(envelope: _Envelope) -> BatchMeta:
    return BatchMeta(
        receiver=envelope.receiver,
        group_key=envelope.group_key,
        external_url=envelope.external_url,
        truncated_alerts=envelope.truncated_alerts,
    )


def alert_from_webhook(raw: object, *, where: str, now: datetime, limits: IngestLimits) -> Alert:
    """Validate one webhook alert and normalise it; raises ItemRejectedError."""
    if not isinstance(raw, dict):
        raise ItemRejectedError(f"{where}: expected an object, got {json_type(raw)}")
    try:
        item = AlertmanagerAlert.model_validate(raw)
    except ValidationError as exc:
        raise validation_rejection(where, exc) from None
    return normalise(item, where=where, now=now, limits=limits)


def normalise(item: AlertmanagerAlert, *, where: str, now: datetime, limits: IngestLimits) -> Alert:
    """Check what the model cannot (names, sizes, times) and build the domain alert."""
    check_labels(item.labels, where=f"{where}.labels", limits=limits)
    if len(item.annotations) > limits.max_annotations:
        raise ItemRejectedError(
            f"{where}.annotations: {len(item.annotations)} annotations, "
            f"more than {limits.max_annotations}"
        )
    check_names_and_values(
        item.annotations, where=f"{where}.annotations", max_value=limits.max_annotation_value
    )
    return _domain_alert(item, where=where, now=now, limits=limits)


def _domain_alert(
    item: AlertmanagerAlert, *, where: str, now: datetime, limits: IngestLimits
) -> Alert:
    """The domain alert of an item whose labels and annotations are known to be good."""
    starts_at, ends_at = _times(item.starts_at, item.ends_at, where=where, now=now, limits=limits)
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


def _times(
    starts: str, ends: str | None, *, where: str, now: datetime, limits: IngestLimits
) -> tuple[datetime, datetime | None]:
    """An alert's start and end as times, refused when absurd or in the wrong order."""
    starts_at = parse_time(starts, where=f"{where}.startsAt", now=now, limits=limits)
    if ends is None:
        return starts_at, None
    ends_at = parse_optional_time(ends, where=f"{where}.endsAt", now=now, limits=limits)
    check_order(starts_at, ends_at, where=f"{where}.endsAt")
    return starts_at, ends_at


def _describe(value: object) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:19] + "…"
        return f'"{shown}"'
    return json_type(value)
