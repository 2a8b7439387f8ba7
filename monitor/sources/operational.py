"""The company's operational database, read-only, through SQLAlchemy ``text()`` statements.

Statements come from the catalog and take their values as bound parameters
(``:start``, ``:end``); nothing is ever formatted into the SQL. Datetime
parameters are bound with SQLAlchemy's ``DateTime`` type so that each
dialect stores and compares them its own way. The connection is opened
read-only where the database allows it (SQLite ``mode=ro``, PostgreSQL
``default_transaction_read_only``), and every transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import DateTime, Engine, bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from monitor.impact.ports import QueryError, SourceUnavailableError, SqlValue


def read_only_engine(url: str, *, timeout_seconds: float = 10.0) -> Engine:
    """An engine that cannot write: SQLite opened ``mode=ro``, PostgreSQL read-only sessions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true",
            connect_args={"timeout": timeout_seconds},
        )
    options = "-c default_transaction_read_only=on"
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            connect_args={"options": options, "connect_timeout": int(timeout_seconds)},
            pool_pre_ping=True,
        )
    return create_engine(parsed, pool_pre_ping=True)


class SqlOperationalData:
    """An ``OperationalData`` over a read-only SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float = 10.0) -> SqlOperationalData:
        """Connect read-only to the database at ``url``."""
        return cls(read_only_engine(url, timeout_seconds=timeout_seconds))

    def scalar(self, statement: str, params: Mapping[str, SqlValue]) -> float | None:
        """The one row's first column as a float (None when NULL or no row).

        Several rows are refused with ``QueryError``: taking the first of them
        would silently answer with one group's count.
        """
        rows = self.rows(statement, params)
        if len(rows) > 1:
            raise QueryError(f"returned {len(rows)} rows where one was expected")
        if not rows or rows[0][0] is None:
            return None
        value = rows[0][0]
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(str(value))
        except ValueError as exc:
            raise QueryError(f"not a number: {type(value).__name__}") from exc

    def rows(self, statement: str, params: Mapping[str, SqlValue]) -> Sequence[tuple[object, ...]]:
        """Every row of one statement, run with bound parameters in a rolled-back transaction."""
        clause = text(statement)
        typed = [
            bindparam(k, type_=DateTime()) for k, v in params.items() if isinstance(v, datetime)
        ]
        if typed:
            clause = clause.bindparams(*typed)
        try:
            with self.engine.connect() as conn:
                try:
                    return [tuple(r) for r in conn.execute(clause, dict(params))]
                finally:
                    conn.rollback()
        except OperationalError as exc:
            if _refused(exc):
                raise QueryError(_short(str(exc.orig))) from exc
            raise SourceUnavailableError(_short(str(exc.orig))) from exc
        except DBAPIError as exc:
            raise QueryError(_short(str(exc.orig))) from exc
        except SQLAlchemyError as exc:
            raise QueryError(_short(str(exc))) from exc

    def dispose(self) -> None:
        """Close the connections."""
        self.engine.dispose()


def _refused(exc: OperationalError) -> bool:
    """SQLite reports SQL mistakes (no such table/column, syntax) as OperationalError too."""
    message = str(exc.orig).lower()
    return any(
        word in message
        for word in ("no such", "syntax error", "unrecognized token", "readonly", "read-only")
    )


def _short(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= 300 else first[:297] + "..."


__all__ = ["SqlOperationalData", "read_only_engine"]
