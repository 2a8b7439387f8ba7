"""ORM rows of the monitor's own database.

These rows never leave ``store``: repositories turn them into domain objects
for readers. Every schema change goes through an Alembic migration in
``store/migrations``; ``tests/integration/store`` checks that the models and
the migrations agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from monitor.store.types import SafeJSON, SafeString, SafeText, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base of every row; constraint names are fixed so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)


class InboxBatch(Base):
    """One accepted delivery (webhook call, poll, event post), kept until processed.

    The raw body (and, unless every alert of it passed the accept path's
    screen, its normalised alerts) is written in one row, in one transaction,
    before the sender is answered, which is what lets the monitor promise no
    loss at the speed of a single insert.
    """

    __tablename__ = "inbox_batches"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    alerts_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The normalised alerts as JSON text (``monitor.store.inbox_codec``); NULL when the
    worker is to parse ``alert_count`` alerts from ``payload`` (``services.inbox_alerts``)."""

    __table_args__ = (Index("ix_inbox_batches_pending", "processed_at", "id"),)


class RejectedPayload(Base):
    """Input that could not be accepted, kept so that someone can see what was sent."""

    __tablename__ = "rejected_payloads"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    endpoint: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(SafeText)
    content_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertRow(Base):
    """One occurrence of an alert series: fingerprint plus start time."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(SafeString(255))
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, str]] = mapped_column(SafeJSON)
    annotations: Mapped[dict[str, str]] = mapped_column(SafeJSON)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    generator_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    components: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    touchpoints: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    unmapped: Mapped[bool] = mapped_column(Boolean, default=False)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (
        UniqueConstraint("fingerprint", "starts_at"),
        Index("ix_alerts_status", "status"),
        Index("ix_alerts_incident_id", "incident_id"),
        # names of firing unmapped alerts, read at every planning (Comms.plan)
        Index("ix_alerts_unmapped_status_name", "unmapped", "status", "name"),
    )


class IncidentRow(Base):
    """An incident: grouped alerts, state, severity and who acknowledged it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(SafeString(500))
    state: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    severity_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    declared: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    quiet_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state_before_quiet: Mapped[str | None] = mapped_column(String(32), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    touchpoints: Mapped[dict[str, str]] = mapped_column(SafeJSON, default=dict)
    peak_touchpoints: Mapped[dict[str, str]] = mapped_column(SafeJSON, default=dict)
    """The worst state each touchpoint reached during the incident (for reports)."""
    components: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    explanation: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    root_cause_hint: Mapped[str | None] = mapped_column(String(255), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    group_keys: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    """Grouping keys of the unmapped alerts it holds (alertname, service, job)."""

    __table_args__ = (Index("ix_incidents_state", "state"),)


class IncidentEventRow(Base):
    """One timeline entry; rows are only ever inserted."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(SafeString(255))
    summary: Mapped[str] = mapped_column(SafeText)
    data: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)

    __table_args__ = (
        Index("ix_incident_events_incident_id_at", "incident_id", "at"),
        # the newest event of one kind, for many incidents at once (migration 0010)
        Index("ix_incident_events_incident_id_kind_id", "incident_id", "kind", "id"),
    )


class MaintenanceWindowRow(Base):
    """Declared maintenance: alerts on its components are recorded, not escalated."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(SafeString(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    components: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    touchpoints: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    created_by: Mapped[str] = mapped_column(SafeString(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """A planned notification, written in the transaction of the change that caused it.

    The dispatcher claims due rows, delivers them and records the result here;
    ``key`` is unique so that planning the same step twice inserts nothing.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    playbook: Mapped[str] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    status: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    """What the channel answered: Slack ``ts`` and ``channel``, HTTP status, file path."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_outbox_status_due_at", "status", "due_at"),
        Index("ix_outbox_incident_id", "incident_id"),
    )


class SlackThreadRow(Base):
    """The head message of an incident in one channel: one per incident and channel."""

    __tablename__ = "slack_threads"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    """The id Slack answered with, which ``chat.update`` needs."""
    ts: Mapped[str] = mapped_column(String(32))
    intro: Mapped[str] = mapped_column(SafeText, default="")
    """The text of the step that posted it, kept at the top when the message is edited."""
    digest: Mapped[str] = mapped_column(String(64), default="")
    """Digest of the blocks last shown, so an unchanged picture is not edited again."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_edit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("incident_id", "channel"),)


class TouchpointStateRow(Base):
    """A period during which a touchpoint was not operational (open while it lasts).

    Operational time is the absence of a row, so 90 days of history stay small
    and uptime is the complement of these periods.
    """

    __tablename__ = "touchpoint_states"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    touchpoint: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_touchpoint_states_touchpoint_since", "touchpoint", "since"),
        Index("ix_touchpoint_states_until", "until"),
    )


class ApiTokenRow(Base):
    """A bearer token for the API, stored only as its SHA-256 digest."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(SafeString(255))
    digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("digest"),)


class SubscriptionRow(Base):
    """Someone who asked to hear of published changes, by e-mail or webhook.

    Tokens and the webhook signing secret are never stored: they are derived
    from ``secret_ref`` and the deployment's key when needed, and only the
    digests of the confirm and unsubscribe tokens are kept, for lookup.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(SafeString(2048))
    target_digest: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    touchpoints: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    """Touchpoints followed; empty with no components means every touchpoint."""
    components: Mapped[list[str]] = mapped_column(SafeJSON, default=list)
    """Components whose maintenance notices are wanted."""
    secret_ref: Mapped[str] = mapped_column(String(64))
    confirm_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unsubscribe_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("confirm_digest"),
        UniqueConstraint("unsubscribe_digest"),
        Index("ix_subscriptions_target_digest", "target_digest"),
    )


class SubscriptionDeliveryRow(Base):
    """One message owed to a subscriber; ``event_key`` is unique per subscription.

    Planning the same event twice inserts nothing, which is what keeps a
    restart or a second planner from sending a notice again.
    """

    __tablename__ = "subscription_deliveries"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    digest_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The digest delivery this one was folded into by the rate limit."""

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key"),
        Index("ix_subscription_deliveries_status_due_at", "status", "due_at"),
    )


class SignalRow(Base):
    """One customer signal (complaint, ticket, review, mention, survey answer).

    The customer's reference is stored only as its keyed pseudonym; the text
    is set to NULL once the retention period has passed. ``sender_key`` is
    what spike counts deduplicate on: the pseudonym, or a keyed hash of the
    text for signals without a customer reference.
    """

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_kind: Mapped[str | None] = mapped_column(String(8), nullable=True)
    touchpoint: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attributed_by: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    customer_ref_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sender_key: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    examined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When the worker first looked at it (follow-ups of low scores are decided then)."""

    __table_args__ = (
        Index("ix_signals_touchpoint_occurred_at", "touchpoint", "occurred_at"),
        Index("ix_signals_incident_id", "incident_id"),
        Index("ix_signals_received_at", "received_at"),
        Index("ix_signals_customer_ref_digest", "customer_ref_digest"),
        Index("ix_signals_examined_at", "examined_at"),
    )


class SignalSpikeRow(Base):
    """A spike episode of one touchpoint: from the first alarming window until it ends."""

    __tablename__ = "signal_spikes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    touchpoint: Mapped[str] = mapped_column(String(128))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_alarm_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    opened_incident: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when no incident covered the touchpoint and the spike opened one."""
    evidence: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    """The test of the first alarming window."""
    peak: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    """The test of the window with the most customers so far."""

    __table_args__ = (
        Index("ix_signal_spikes_touchpoint_ended_at", "touchpoint", "ended_at"),
        Index("ix_signal_spikes_incident_id", "incident_id"),
    )


class SignalWatchRow(Base):
    """When the signal watcher last did each periodic job (evaluate, purge)."""

    __tablename__ = "signal_watch"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentReportRow(Base):
    """A post-incident report as it was written, in every format, kept unchanged."""

    __tablename__ = "incident_reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when written from the incident's final estimate."""
    markdown: Mapped[str] = mapped_column(SafeText)
    html: Mapped[str] = mapped_column(SafeText)
    body: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)
    """The report as JSON (aggregate figures only)."""

    __table_args__ = (Index("ix_incident_reports_incident_id", "incident_id"),)


class ActionItemRow(Base):
    """Something people agreed to do after an incident, tracked until done."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(SafeString(500))
    owner: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    """An ISO date (``YYYY-MM-DD``)."""
    note: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    created_by: Mapped[str] = mapped_column(SafeString(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_action_items_incident_id", "incident_id"),)


class AuditLogRow(Base):
    """Who changed what: one row per change by a person or an administrator.

    Written in the transaction of the change it records, so there is no change
    without its row and no row without its change. ``details`` never holds
    secrets (tokens, digests) or customer ids.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(SafeString(255))
    """``token:<name>``, ``slack:<user>``, ``cli:<user>``, ``playbook:<id>`` or ``open-access``."""
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(SafeString(255))
    """What was changed, as ``kind:id`` (``incident:12``, ``token:3``)."""
    details: Mapped[dict[str, Any]] = mapped_column(SafeJSON, default=dict)

    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_target_at", "target", "at"),
    )
