"""Being the one process that schedules and processes, when several share a database.

APScheduler's job stores cannot be shared between processes, and incident
grouping must see alerts in one order, so only one process per deployment runs
the worker and the scheduler. On PostgreSQL that process holds a session-level
advisory lock on a dedicated connection; if it dies, the server releases the
lock and another process takes over. The key is derived from the database
and schema, so deployments sharing a server in separate schemas do not
block each other. SQLite is single-host and single-writer,
so the lock is trivially held.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

KEEPALIVES = (
    "SELECT set_config('tcp_keepalives_idle', '10', false),"
    " set_config('tcp_keepalives_interval', '5', false),"
    " set_config('tcp_keepalives_count', '3', false)"
)


def lock_key(database: str, schema: str) -> int:
    """The advisory-lock key of one deployment: two schemas of one database do not share it."""
    digest = hashlib.sha256(f"monitor:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """A process-wide lock: ``held()`` tries to take it and says whether this process has it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()
        self._key: int | None = None

    def held(self) -> bool:
        """True when this process is the leader (taking the lock if it is free)."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._guard:
            if self._connection is not None and self._alive(self._connection):
                return True
            self._drop()
            try:
                connection = self._engine.connect()
                # If this host vanishes without closing the socket, the server would
                # keep the session, and the lock, for the kernel's default two
                # hours; keepalives end it within about half a minute.
                connection.execute(text(KEEPALIVES))
                if self._key is None:
                    database, schema = connection.execute(
                        text("SELECT current_database(), current_schema()")
                    ).one()
                    self._key = lock_key(str(database), str(schema))
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                ).scalar()
                connection.commit()
            except DBAPIError:
                return False
            if got:
                self._connection = connection
                return True
            connection.invalidate()
            connection.close()
            return False

    def release(self) -> None:
        """Give the lock up (closing its connection releases it on the server)."""
        with self._guard:
            self._drop()

    @staticmethod
    def _alive(connection: Connection) -> bool:
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
        except SQLAlchemyError:
            # A lost connection also leaves an invalid transaction behind, which
            # raises PendingRollbackError (not a DBAPIError) on every later use.
            return False
        return True

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
            # A pooled connection would keep a session lock; really close this one.
            with contextlib.suppress(SQLAlchemyError):
                self._connection.invalidate()
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None
