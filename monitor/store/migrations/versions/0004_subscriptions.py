"""subscriptions to the status page and their deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import monitor.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = monitor.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("target_digest", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("touchpoints", _JSON, nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("secret_ref", sa.String(length=64), nullable=False),
        sa.Column("confirm_digest", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", _TIME, nullable=True),
        sa.Column("unsubscribe_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("unsubscribed_at", _TIME, nullable=True),
        sa.Column("last_sent_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("confirm_digest", name=op.f("uq_subscriptions_confirm_digest")),
        sa.UniqueConstraint("unsubscribe_digest", name=op.f("uq_subscriptions_unsubscribe_digest")),
    )
    op.create_index("ix_subscriptions_target_digest", "subscriptions", ["target_digest"])
    op.create_table(
        "subscription_deliveries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", _ID, nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_deliveries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_key",
            name=op.f("uq_subscription_deliveries_subscription_id_event_key"),
        ),
    )
    op.create_index(
        "ix_subscription_deliveries_status_due_at",
        "subscription_deliveries",
        ["status", "due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_deliveries_status_due_at", table_name="subscription_deliveries")
    op.drop_table("subscription_deliveries")
    op.drop_index("ix_subscriptions_target_digest", table_name="subscriptions")
    op.drop_table("subscriptions")
