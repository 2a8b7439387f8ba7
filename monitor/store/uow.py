"""The unit of work: one transaction per batch, committed only on purpose.

Repositories hang off the unit of work and never commit. Leaving the ``with``
block without ``commit()`` rolls everything back, so a crash half-way through a
batch leaves the database as it was (Cosmic Python's pattern). Driver errors
that mean "the database is not there" become ``StoreUnavailableError`` so the
API can answer 503 and the sender retries.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from monitor.errors import StoreUnavailableError
from monitor.store.repositories.action_items import ActionItemRepository
from monitor.store.repositories.alerts import AlertRepository
from monitor.store.repositories.audit import AuditRepository
from monitor.store.repositories.inbox import (
    InboxRepository,
    NewBatch,
    batch_rows,
    insert_batches_statement,
)
from monitor.store.repositories.incidents import IncidentRepository
from monitor.store.repositories.maintenance import MaintenanceRepository
from monitor.store.repositories.outbox import OutboxRepository
from monitor.store.repositories.reports import ReportRepository
from monitor.store.repositories.signals import SignalRepository
from monitor.store.repositories.subscriptions import SubscriptionRepository
from monitor.store.repositories.tokens import TokenRepository
from monitor.store.repositories.touchpoints import TouchpointHistoryRepository

MIN_FREE_BYTES = 1024 * 1024
"""Below this much free space beside an SQLite file, a store that failed a write stays not ready."""


@dataclass(frozen=True)
class WriteFailure:
    """The first of an unbroken run of failed commits, and the latest reason."""

    since: datetime
    reason: str


class WriteHealth:
    """Whether the last commits went through.

    A full disk or a read-only file still answers ``SELECT 1``; only a write
    shows it. Every commit reports here, so readiness can say "not writable"
    from what ingestion and the worker really met, without writing itself.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._failure: WriteFailure | None = None

    def succeeded(self) -> None:
        """A commit went through: the store is writable again."""
        if self._failure is not None:
            with self._guard:
                self._failure = None

    def failed(self, reason: str) -> None:
        """A commit failed because the database could not take it."""
        with self._guard:
            since = self._failure.since if self._failure else datetime.now(UTC)
            self._failure = WriteFailure(since=since, reason=reason)

    @property
    def failure(self) -> WriteFailure | None:
        """The current run of failures, or None when the last commit went through."""
        return self._failure


class UnitOfWork:
    """A transaction with the repositories that work inside it."""

    def __init__(self, factory: sessionmaker[Session], health: WriteHealth | None = None) -> None:
        self._factory = factory
        self._health = health or WriteHealth()
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self.inbox = InboxRepository(self._session)
        self.alerts = AlertRepository(self._session)
        self.incidents = IncidentRepository(self._session)
        self.maintenance = MaintenanceRepository(self._session)
        self.touchpoints = TouchpointHistoryRepository(self._session)
        self.tokens = TokenRepository(self._session)
        self.outbox = OutboxRepository(self._session)
        self.subscriptions = SubscriptionRepository(self._session)
        self.signals = SignalRepository(self._session)
        self.reports = ReportRepository(self._session)
        self.action_items = ActionItemRepository(self._session)
        self.audit = AuditRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._require()
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
        if isinstance(exc, OperationalError | DBAPIError) and _is_unavailable(exc):
            if _is_write_refusal(exc):
                self._health.failed(str(exc.orig))
            raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc

    def commit(self) -> None:
        """Make everything done in this unit of work durable."""
        session = self._require()
        wrote = session.info.get(_WROTE, False) or bool(
            session.new or session.dirty or session.deleted
        )
        try:
            session.commit()
        except (OperationalError, DBAPIError) as exc:
            _raise_if_unavailable(exc, self._health)
            raise
        if wrote:
            # a commit with nothing in it goes through on a read-only or full disk
            self._health.succeeded()

    def flush(self) -> None:
        """Send pending changes so generated ids are known, without committing."""
        self._require().flush()

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._session


class Store:
    """The monitor's database: hands out units of work over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.write_health = WriteHealth()
        self._factory = sessionmaker(engine, expire_on_commit=False)
        self._one_statement = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        # Listening once on the factory, not per session: registering listeners
        # costs more than a small insert, and every delivery opens a session.
        event.listen(self._factory, "loaded_as_persistent", _keep)
        event.listen(self._factory, "pending_to_persistent", _keep)
        event.listen(self._factory, "after_flush", _note_flush)
        event.listen(self._factory, "do_orm_execute", _note_statement)

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work; use it in a ``with`` block."""
        return UnitOfWork(self._factory, self.write_health)

    def append_to_inbox(self, batches: Sequence[NewBatch]) -> list[int]:
        """Commit deliveries to the inbox in one statement; their ids, in the same order.

        When a delivery is accepted whole, this INSERT is its entire transaction.
        On PostgreSQL it runs in autocommit, where one statement is atomic by
        itself: BEGIN and COMMIT, two of the transaction's three round trips,
        are left out, and in a storm each round trip is also one more wait for
        the interpreter in the writer thread. SQLite commits it in a
        transaction of its own, as a unit of work would. No ORM session either.
        """
        if not batches:
            return []
        # more rows than SQLAlchemy sends in one multi-row INSERT would be several
        # statements, each committed alone: those take a transaction
        one_statement = len(batches) <= self.engine.dialect.insertmanyvalues_page_size
        engine = self._one_statement if one_statement else self.engine
        try:
            with engine.connect() as connection:
                result = connection.execute(insert_batches_statement(), batch_rows(batches))
                ids = [int(i) for i in result.scalars()]
                connection.commit()
        except (OperationalError, DBAPIError) as exc:
            _raise_if_unavailable(exc, self.write_health)
            raise
        self.write_health.succeeded()
        return ids

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc

    def recheck_writes(self) -> WriteFailure | None:
        """After a failed commit, try one harmless write; returns the failure if it persists.

        Without this, a store that failed once would stay "not writable" until
        some traffic happened to commit, and a load balancer that stops sending
        traffic to a non-ready process would never let it recover.
        """
        if self.write_health.failure is None:
            return None
        room = self._free_bytes()
        if room is not None and room < MIN_FREE_BYTES:
            # A no-op write can still fit in the WAL's slack; a batch of alerts cannot.
            self.write_health.failed(f"database or disk is full ({room} bytes free)")
            return self.write_health.failure
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
                connection.commit()
        except (OperationalError, DBAPIError) as exc:
            self.write_health.failed(str(exc.orig))
            return self.write_health.failure
        self.write_health.succeeded()
        return None

    def _free_bytes(self) -> int | None:
        """Free space beside an SQLite file (None for a server database)."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        try:
            return shutil.disk_usage(Path(database).resolve().parent).free
        except OSError:
            return None


_KEPT = "monitor.kept"
_WROTE = "monitor.wrote"


def _keep(session: Session, obj: object) -> None:
    # The session's identity map holds rows weakly: a clean row nobody
    # references is dropped and re-read on the next get(). Within one unit
    # of work the same incidents are touched again and again, so keep them.
    session.info.setdefault(_KEPT, []).append(obj)


def _note_flush(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    # Core INSERTs (the inbox) go through Session.execute without a flush.
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _raise_if_unavailable(exc: DBAPIError, health: WriteHealth) -> None:
    """StoreUnavailableError when the database cannot take the write; other errors are bugs."""
    if not _is_unavailable(exc):
        return
    # Only a refusal to write (full, read-only, I/O) says the store cannot take
    # writes; a lock timeout in a storm or a lost connection does not, and
    # readiness would then probe with writes that queue for the lock.
    if _is_write_refusal(exc):
        health.failed(str(exc.orig))
    raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc


def _is_unavailable(exc: DBAPIError) -> bool:
    # Connection loss, lock timeouts and a read-only or full disk are the
    # database not being usable right now; integrity errors are bugs.
    return isinstance(exc, OperationalError) or exc.connection_invalidated


_WRITE_REFUSALS = ("readonly", "read-only", "disk is full", "no space left", "disk i/o error")


def _is_write_refusal(exc: DBAPIError) -> bool:
    # A flush inside the block (before commit) meets a full disk too.
    text = str(exc.orig).lower()
    return any(marker in text for marker in _WRITE_REFUSALS)
