"""Deliveries appended to the inbox in one statement: all of them or none, and nothing leaks.

On PostgreSQL the statement runs on a pooled connection switched to autocommit;
the connection must come back to the pool transactional again, or a later unit
of work would commit statement by statement and lose its rollback.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from monitor.errors import StoreUnavailableError
from monitor.store import Store, create_store_engine
from monitor.store.repositories.inbox import NewBatch

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _batch(n: int, *, source: str = "alertmanager") -> NewBatch:
    body = b'{"alerts": [%d]}' % n
    return NewBatch(source, body, (), T0, {"n": n}, alerts_in_payload=n)


def test_appended_batches_are_committed_with_their_ids_in_order(store: Store) -> None:
    ids = store.append_to_inbox([_batch(1), _batch(2), _batch(3)])
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    with store.unit_of_work() as uow:
        pending = uow.inbox.pending(limit=10)
    assert [b.id for b in pending] == ids
    assert [b.payload for b in pending] == [b'{"alerts": [%d]}' % n for n in (1, 2, 3)]
    assert [b.alert_count for b in pending] == [1, 2, 3]


def test_a_refused_row_leaves_none_of_the_statement_behind(store: Store) -> None:
    bad = _batch(2, source=None)  # type: ignore[arg-type]  # NOT NULL refused by the database
    with pytest.raises(IntegrityError):
        store.append_to_inbox([_batch(1), bad, _batch(3)])
    with store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 0


def test_the_connection_is_transactional_again_after_an_append(store: Store) -> None:
    # one connection in the pool's hands at a time: the next unit of work reuses it
    for n in range(3):
        store.append_to_inbox([_batch(n + 1)])
        with store.unit_of_work() as uow:
            uow.inbox.add_batches([_batch(9)])
            # left without commit: rolled back, which autocommit would not do
    with store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 3
        assert uow.inbox.count_alerts() == 6


def test_an_append_to_an_unreachable_database_is_store_unavailable() -> None:
    dead = Store(create_store_engine("postgresql://postgres@127.0.0.1:1/nothing"))
    with pytest.raises(StoreUnavailableError):
        dead.append_to_inbox([_batch(1)])
