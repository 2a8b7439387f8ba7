"""touchpoint state history and API tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import monitor.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "touchpoint_states",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("touchpoint", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("since", monitor.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", monitor.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoint_states")),
    )
    op.create_index(
        "ix_touchpoint_states_touchpoint_since", "touchpoint_states", ["touchpoint", "since"]
    )
    op.create_index("ix_touchpoint_states_until", "touchpoint_states", ["until"])
    op.create_table(
        "api_tokens",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("created_at", monitor.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", monitor.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_index("ix_touchpoint_states_until", table_name="touchpoint_states")
    op.drop_index("ix_touchpoint_states_touchpoint_since", table_name="touchpoint_states")
    op.drop_table("touchpoint_states")
