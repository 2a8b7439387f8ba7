"""The unit of work: one transaction per batch, committed only on purpose.

Repositories hang off the unit of work and never commit. Leaving the ``with``
block without ``commit()`` rolls everything back, so a crash half-way through a
batch leaves the database as it was (Cosmic Python's pattern). Driver errors
that mean "the database is not there" become ``StoreUnavailableError`` so the
API can answer 503 and the sender retries.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreUnavailableError
from monitor.store.repositories.action_items import ActionItemRepository
from monitor.store.repositories.alerts import AlertRepository
from monitor.store.repositories.inbox import InboxRepository
from monitor.store.repositories.incidents import IncidentRepository
from monitor.store.repositories.maintenance import MaintenanceRepository
from monitor.store.repositories.outbox import OutboxRepository
from monitor.store.repositories.reports import ReportRepository
from monitor.store.repositories.signals import SignalRepository
from monitor.store.repositories.subscriptions import SubscriptionRepository
from monitor.store.repositories.tokens import TokenRepository
from monitor.store.repositories.touchpoints import TouchpointHistoryRepository


class UnitOfWork:
    """A transaction with the repositories that work inside it."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        # The session's identity map holds rows weakly: a clean row nobody
        # references is dropped and re-read on the next get(). Within one unit
        # of work the same incidents are touched again and again, so keep them.
        kept: list[object] = []
        event.listen(self._session, "loaded_as_persistent", lambda _s, obj: kept.append(obj))
        event.listen(self._session, "pending_to_persistent", lambda _s, obj: kept.append(obj))
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
            raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc

    def commit(self) -> None:
        """Make everything done in this unit of work durable."""
        try:
            self._require().commit()
        except (OperationalError, DBAPIError) as exc:
            if _is_unavailable(exc):
                raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc
            raise

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
        self._factory = sessionmaker(engine, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work; use it in a ``with`` block."""
        return UnitOfWork(self._factory)

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailableError(f"the database is unavailable: {exc.orig}") from exc


def _is_unavailable(exc: DBAPIError) -> bool:
    # Connection loss, lock timeouts and a read-only or full disk are the
    # database not being usable right now; integrity errors are bugs.
    return isinstance(exc, OperationalError) or exc.connection_invalidated
