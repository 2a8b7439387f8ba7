"""inbox: a delivery's alerts as one JSON text in its batch row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:20:00

Accepting a delivery wrote one ``inbox_alerts`` row per alert on the request
path; the alerts now travel as one JSON text in ``inbox_batches.alerts_json``
(``monitor.store.inbox_codec``). Batches still waiting for the worker keep
their alerts: they are copied into the new column before the table goes.
Processed batches need no copy: their alerts are in ``alerts`` and their raw
bodies stay in ``inbox_batches.payload``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import monitor.store.types
from monitor.store.types import storable_json

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = monitor.store.types.UTCDateTime(timezone=True)

_batches = sa.table(
    "inbox_batches",
    sa.column("id", _ID),
    sa.column("processed_at", _TIME),
    sa.column("alerts_json", sa.Text()),
)
_alerts = sa.table(
    "inbox_alerts",
    sa.column("batch_id", _ID),
    sa.column("position", sa.Integer()),
    sa.column("fingerprint", sa.String()),
    sa.column("source", sa.String()),
    sa.column("status", sa.String()),
    sa.column("labels", _JSON),
    sa.column("annotations", _JSON),
    sa.column("starts_at", _TIME),
    sa.column("ends_at", _TIME),
    sa.column("generator_url", sa.Text()),
)
_FIELDS = (
    "fingerprint",
    "source",
    "status",
    "labels",
    "annotations",
    "starts_at",
    "ends_at",
    "generator_url",
)


def upgrade() -> None:
    with op.batch_alter_table("inbox_batches") as batch:
        batch.add_column(sa.Column("alerts_json", sa.Text(), nullable=True))
    bind = op.get_bind()
    grouped: dict[int, list[list[Any]]] = {}
    rows = bind.execute(
        sa.select(_alerts)
        .join(_batches, _batches.c.id == _alerts.c.batch_id)
        .where(_batches.c.processed_at.is_(None))
        .order_by(_alerts.c.batch_id, _alerts.c.position)
    ).mappings()
    for row in rows:
        grouped.setdefault(int(row["batch_id"]), []).append(_record(row))
    for batch_id, records in grouped.items():
        text = json.dumps(storable_json(records), separators=(",", ":"))
        bind.execute(sa.update(_batches).where(_batches.c.id == batch_id).values(alerts_json=text))
    op.drop_index("ix_inbox_alerts_batch_id", table_name="inbox_alerts")
    op.drop_table("inbox_alerts")


def _record(row: Any) -> list[Any]:
    return [
        row["fingerprint"],
        row["source"],
        row["status"],
        row["labels"],
        row["annotations"],
        row["starts_at"].isoformat(),
        row["ends_at"].isoformat() if row["ends_at"] else None,
        row["generator_url"],
    ]


def downgrade() -> None:
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(_batches.c.id, _batches.c.alerts_json).where(_batches.c.alerts_json.is_not(None))
    ).all()
    # SQLite rebuilds the table to drop a column; with foreign keys on, a table
    # referencing it would lose its rows in the rebuild, so the column goes first.
    with op.batch_alter_table("inbox_batches") as batch:
        batch.drop_column("alerts_json")
    op.create_table(
        "inbox_alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("annotations", _JSON, nullable=False),
        sa.Column("starts_at", _TIME, nullable=False),
        sa.Column("ends_at", _TIME, nullable=True),
        sa.Column("generator_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["inbox_batches.id"],
            name=op.f("fk_inbox_alerts_batch_id_inbox_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_alerts")),
    )
    op.create_index("ix_inbox_alerts_batch_id", "inbox_alerts", ["batch_id"])
    for batch_id, text in waiting:
        values = [
            {
                "batch_id": batch_id,
                "position": i,
                **dict(zip(_FIELDS, record, strict=True)),
                "starts_at": _time(record[5]),
                "ends_at": _time(record[6]),
            }
            for i, record in enumerate(json.loads(text))
        ]
        if values:
            bind.execute(sa.insert(_alerts), values)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
