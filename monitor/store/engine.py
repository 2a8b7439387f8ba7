"""Engine factory: SQLite embedded by default, PostgreSQL when configured.

SQLite gets WAL (readers do not block the single writer), foreign keys (off by
default in SQLite) and a busy timeout so that the API and the worker can share
the file. PostgreSQL pings a pooled connection before reuse when it has sat
idle, so a restarted server costs one retry, not an error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before it is handed out again."""

_IDLE_SINCE = "monitor.idle_since"


def create_store_engine(
    url: str, *, echo: bool = False, ping_after_idle: float = PING_AFTER_IDLE_SECONDS
) -> Engine:
    """An engine for the monitor's database at ``url``, configured for its dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, echo=echo, pool_size=5, max_overflow=5)
    _ping_idle_connections(engine, ping_after_idle)
    return engine


def _ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection before reuse only when it has been idle ``idle_seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip
    per transaction, and in an alert storm the inbox's writer thread gives up
    and waits for the GIL once more per delivery batch. A connection handed
    back a moment ago is alive unless the server restarted in that moment, and
    then the failed transaction invalidates the whole pool: the sender gets a
    503 and its retry finds fresh connections, as it would after a ping.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or reused at once
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            # the pool drops this connection and checks out another (three tries)
            raise exc.DisconnectionError(str(error)) from error


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; let SQLAlchemy emit it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Take the write lock at the start so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
