"""customer signals, spike episodes and the signal watcher's clock

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import monitor.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = monitor.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("score_kind", sa.String(length=8), nullable=True),
        sa.Column("touchpoint", sa.String(length=128), nullable=True),
        sa.Column("attributed_by", sa.String(length=255), nullable=True),
        sa.Column("customer_ref_digest", sa.String(length=64), nullable=True),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("incident_id", _ID, nullable=True),
        sa.Column("examined_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_signals_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    op.create_index("ix_signals_touchpoint_occurred_at", "signals", ["touchpoint", "occurred_at"])
    op.create_index("ix_signals_incident_id", "signals", ["incident_id"])
    op.create_index("ix_signals_received_at", "signals", ["received_at"])
    op.create_index("ix_signals_customer_ref_digest", "signals", ["customer_ref_digest"])
    op.create_index("ix_signals_examined_at", "signals", ["examined_at"])
    op.create_table(
        "signal_spikes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("touchpoint", sa.String(length=128), nullable=False),
        sa.Column("detected_at", _TIME, nullable=False),
        sa.Column("last_alarm_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.Column("incident_id", _ID, nullable=True),
        sa.Column("opened_incident", sa.Boolean(), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("peak", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_signal_spikes_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_spikes")),
    )
    op.create_index(
        "ix_signal_spikes_touchpoint_ended_at", "signal_spikes", ["touchpoint", "ended_at"]
    )
    op.create_index("ix_signal_spikes_incident_id", "signal_spikes", ["incident_id"])
    op.create_table(
        "signal_watch",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signal_watch")),
    )


def downgrade() -> None:
    op.drop_table("signal_watch")
    op.drop_index("ix_signal_spikes_incident_id", table_name="signal_spikes")
    op.drop_index("ix_signal_spikes_touchpoint_ended_at", table_name="signal_spikes")
    op.drop_table("signal_spikes")
    for name in (
        "ix_signals_examined_at",
        "ix_signals_customer_ref_digest",
        "ix_signals_received_at",
        "ix_signals_incident_id",
        "ix_signals_touchpoint_occurred_at",
    ):
        op.drop_index(name, table_name="signals")
    op.drop_table("signals")
