"""A PostgreSQL connection that died while idle in the pool costs at most one retry.

The server really closes the connections (``pg_terminate_backend``), as a
restart or a failover does; nothing is simulated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from monitor.errors import StoreUnavailableError
from monitor.store import Store, create_store_engine, migrate
from tests.conftest import postgres_url as configured_postgres

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# the idle ping is PostgreSQL's: SQLite has no server to lose
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        configured_postgres() is None, reason="MONITOR_TEST_POSTGRES_URL is not set"
    ),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def postgres_url(database_url: str) -> str:
    return database_url


@contextmanager
def _engine(url: str, *, ping_after_idle: float) -> Iterator[Engine]:
    engine = create_store_engine(url, ping_after_idle=ping_after_idle)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _pooled_backend(store: Store) -> int:
    """The server process of the connection the pool will hand out next (it holds one)."""
    with store.engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return int(pid)


def _terminate(url: str, pid: int) -> None:
    admin = create_store_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # the server signals the backend: wait until it is gone
            for _ in range(200):
                gone = connection.execute(
                    text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()
                if gone:
                    break
                connection.execute(text("SELECT pg_sleep(0.01)"))
    finally:
        admin.dispose()


def _add(store: Store) -> int:
    with store.unit_of_work() as uow:
        batch_id = uow.inbox.add_batch(
            source="alertmanager", payload=b"{}", alerts=[], received_at=T0
        )
        uow.commit()
    return batch_id


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(postgres_url: str) -> None:
    with _engine(postgres_url, ping_after_idle=0.0) as engine:
        store = Store(engine)
        dead = _pooled_backend(store)
        _terminate(postgres_url, dead)
        _add(store)  # pinged, found dead, replaced: no error
        assert _pooled_backend(store) != dead
        with store.unit_of_work() as uow:
            assert uow.inbox.backlog() == 1


def test_a_connection_reused_at_once_is_not_pinged_and_its_loss_costs_one_retry(
    postgres_url: str,
) -> None:
    with _engine(postgres_url, ping_after_idle=3600.0) as engine:
        store = Store(engine)
        dead = _pooled_backend(store)
        _terminate(postgres_url, dead)
        with pytest.raises(StoreUnavailableError):
            _add(store)
        _add(store)  # the failure emptied the pool: the retry connects afresh
        with store.unit_of_work() as uow:
            assert uow.inbox.backlog() == 1
