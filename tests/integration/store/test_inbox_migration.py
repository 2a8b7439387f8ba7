"""Moving the inbox's alerts into their batch row keeps every alert still waiting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from monitor.domain import AlertStatus
from monitor.store import Store, migrate

RECEIVED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _old_batch(engine: Engine, *, batch_id: int, processed: bool, alerts: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inbox_batches (id, received_at, source, payload, meta, alert_count,"
                " rejected_count, processed_at, attempts)"
                " VALUES (:id, :at, 'alertmanager', :payload, '{}', :n, 0, :done, 0)"
            ),
            {
                "id": batch_id,
                "at": RECEIVED.replace(tzinfo=None),
                "payload": b"{}",
                "n": alerts,
                "done": RECEIVED.replace(tzinfo=None) if processed else None,
            },
        )
        for position in range(alerts):
            connection.execute(
                text(
                    "INSERT INTO inbox_alerts (batch_id, position, fingerprint, source, status,"
                    " labels, annotations, starts_at, ends_at, generator_url)"
                    " VALUES (:batch, :pos, :fp, 'alertmanager', :status, :labels, '{}',"
                    " :starts, :ends, NULL)"
                ),
                {
                    "batch": batch_id,
                    "pos": position,
                    "fp": f"{batch_id:08x}{position:08x}",
                    "status": "resolved" if position == 1 else "firing",
                    "labels": f'{{"alertname": "Down{position}", "team": "caf\\u00e9"}}',
                    "starts": RECEIVED.replace(tzinfo=None),
                    "ends": RECEIVED.replace(tzinfo=None) if position == 1 else None,
                },
            )


def test_waiting_alerts_survive_the_move_to_one_row_per_batch(engine: Engine) -> None:
    migrate.downgrade(engine, "0007")
    _old_batch(engine, batch_id=1, processed=True, alerts=2)
    _old_batch(engine, batch_id=2, processed=False, alerts=3)

    migrate.upgrade(engine)

    assert "inbox_alerts" not in inspect(engine).get_table_names()
    with Store(engine).unit_of_work() as uow:
        [pending] = uow.inbox.pending(limit=10)
        assert uow.inbox.count_alerts() == 5
    assert pending.id == 2
    assert [a.labels["alertname"] for a in pending.alerts] == ["Down0", "Down1", "Down2"]
    assert pending.alerts[0].labels["team"] == "café"
    assert pending.alerts[1].status is AlertStatus.RESOLVED
    assert pending.alerts[1].ends_at == RECEIVED
    assert pending.alerts[0].starts_at == RECEIVED
    assert pending.alerts[0].ends_at is None


def test_downgrade_puts_the_waiting_alerts_back_in_their_table(engine: Engine) -> None:
    migrate.downgrade(engine, "0007")
    _old_batch(engine, batch_id=7, processed=False, alerts=2)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0007")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT position, fingerprint FROM inbox_alerts WHERE batch_id = 7 ORDER BY 1")
        ).all()
    assert [tuple(r) for r in rows] == [(0, "0000000700000000"), (1, "0000000700000001")]
    migrate.upgrade(engine)
