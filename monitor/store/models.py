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
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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

    The raw body and its normalised alerts are written in one transaction before
    the sender is answered, which is what lets the monitor promise no loss.
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

    alerts: Mapped[list[InboxAlert]] = relationship(
        back_populates="batch", order_by="InboxAlert.position", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_inbox_batches_pending", "processed_at", "id"),)


class InboxAlert(Base):
    """A normalised alert as it arrived in a batch (before deduplication)."""

    __tablename__ = "inbox_alerts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("inbox_batches.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, str]] = mapped_column(SafeJSON)
    annotations: Mapped[dict[str, str]] = mapped_column(SafeJSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    generator_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)

    batch: Mapped[InboxBatch] = relationship(back_populates="alerts")

    __table_args__ = (Index("ix_inbox_alerts_batch_id", "batch_id"),)


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

    __table_args__ = (Index("ix_incident_events_incident_id_at", "incident_id", "at"),)


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
