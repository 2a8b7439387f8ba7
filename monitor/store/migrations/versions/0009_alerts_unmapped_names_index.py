"""alerts: an index for the names of firing unmapped alerts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:40:00

Every planning of an incident's playbooks lists the names of the firing
alerts tied to no component (a line of the Slack head message). Without an
index that leads with ``unmapped``, the query walked every firing alert, so
a storm's planning slowed as the storm grew. With ``(unmapped, status,
name)`` it reads the first fifty distinct names from the index.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_alerts_unmapped_status_name", "alerts", ["unmapped", "status", "name"])


def downgrade() -> None:
    op.drop_index("ix_alerts_unmapped_status_name", table_name="alerts")
