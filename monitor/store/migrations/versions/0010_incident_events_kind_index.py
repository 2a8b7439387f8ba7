"""incident_events: an index for an incident's newest event of one kind

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:20:00

The report writer, the estimate scheduler, the status and the metrics ask,
for many incidents at once, for the newest event of one kind (an estimate, a
report). With only ``(incident_id, at)`` each question read every event of
the incident, and a storm's incidents hold one per alert: in ``bench.memory``
the report writer's once-a-second check came to a quarter of the worker's time
after 400,000 alerts. With ``(incident_id, kind, id)`` it is one seek each.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_incident_events_incident_id_kind_id", "incident_events", ["incident_id", "kind", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_incident_events_incident_id_kind_id", table_name="incident_events")
