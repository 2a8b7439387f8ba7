"""Units of work commit only on purpose, and a missing database is reported as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.domain import Alert, AlertStatus, Severity
from monitor.errors import StoreUnavailableError
from monitor.store import Store, create_store_engine

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _alert(
    status: AlertStatus = AlertStatus.FIRING, fingerprint: str = "a1b2c3d4e5f60718"
) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        source="alertmanager",
        status=status,
        labels={"alertname": "PostgresDown", "service": "postgres", "role": "primary"},
        annotations={"summary": "primary is down"},
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=5) if status is AlertStatus.RESOLVED else None,
    )


def test_leaving_without_commit_rolls_everything_back(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.add_batch(source="alertmanager", payload=b"{}", alerts=[_alert()], received_at=T0)
    with store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 0
        assert uow.inbox.count_alerts() == 0


def test_an_exception_inside_rolls_back_and_propagates(store: Store) -> None:
    def open_then_fail() -> None:
        with store.unit_of_work() as uow:
            uow.incidents.open(title="x", at=T0, severity=Severity.SEV3)
            uow.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        open_then_fail()
    with store.unit_of_work() as uow:
        assert uow.incidents.recent() == []


def test_committed_batch_is_pending_until_marked_processed(store: Store) -> None:
    with store.unit_of_work() as uow:
        batch_id = uow.inbox.add_batch(
            source="alertmanager", payload=b"{}", alerts=[_alert(), _alert()], received_at=T0
        )
        uow.commit()
    with store.unit_of_work() as uow:
        pending = uow.inbox.pending(limit=10)
        assert [b.id for b in pending] == [batch_id]
        assert [a.fingerprint for a in pending[0].alerts] == ["a1b2c3d4e5f60718"] * 2
        uow.inbox.mark_processed(batch_id, at=T0)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.inbox.pending(limit=10) == []
        assert uow.inbox.backlog() == 0


def test_times_come_back_timezone_aware_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 2, 10, 0, tzinfo=paris)
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(title="x", at=local, severity=Severity.SEV3)
        uow.commit()
    with store.unit_of_work() as uow:
        opened = uow.incidents.get(incident_id).opened_at
    assert opened == T0
    assert opened.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 1)
    with store.unit_of_work() as uow, pytest.raises(Exception, match="naive"):
        uow.incidents.open(title="x", at=naive, severity=Severity.SEV3)


def test_unreachable_database_raises_store_unavailable() -> None:
    dead = Store(create_store_engine("postgresql://postgres@127.0.0.1:1/nothing"))
    with pytest.raises(StoreUnavailableError):
        dead.ping()
    with pytest.raises(StoreUnavailableError), dead.unit_of_work() as uow:
        uow.inbox.backlog()
