"""Only one process per deployment leads (runs the worker and the scheduler)."""

from __future__ import annotations

from sqlalchemy import Engine

from monitor.store import create_store_engine
from monitor.store.leader import LeaderLock


def test_one_leader_at_a_time_and_the_other_takes_over_on_release(
    engine: Engine, database_url: str
) -> None:
    first = LeaderLock(engine)
    other_engine = create_store_engine(database_url)
    second = LeaderLock(other_engine)
    try:
        assert first.held()
        if engine.dialect.name == "sqlite":
            # one host, one writer: every process may work, SQLite serialises them
            assert second.held()
            return
        assert not second.held()
        assert first.held()  # holding it again is idempotent
        first.release()
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()
        other_engine.dispose()
