"""Deliveries that arrive together share one transaction, and none is lost or blamed for another."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Engine, text

from monitor.domain import Alert, AlertStatus
from monitor.services.accept import Accepted, Delivery
from monitor.services.group_commit import GroupCommitter
from monitor.store import Store

AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _delivery(n: int, *, labels: dict[str, str] | None = None) -> Delivery:
    alert = Alert(
        fingerprint=f"{n:016x}",
        source="alertmanager",
        status=AlertStatus.FIRING,
        labels=labels or {"alertname": f"Down{n}"},
        annotations={},
        starts_at=AT,
    )
    return Delivery("alertmanager", b"{}", [alert], [], AT, "/api/v1/ingest/alertmanager")


def _hold_inbox(engine: Engine, release: threading.Event, held: threading.Event) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.begin()
            connection.execute(text("LOCK TABLE inbox_batches IN EXCLUSIVE MODE"))
        else:
            connection.begin()  # the engine's BEGIN IMMEDIATE takes SQLite's write lock
        held.set()
        release.wait(10)
        connection.rollback()


def test_deliveries_queued_behind_a_busy_database_go_in_one_transaction(
    engine: Engine, store: Store
) -> None:
    committer = GroupCommitter(store)
    release, held = threading.Event(), threading.Event()
    blocker = threading.Thread(target=_hold_inbox, args=(engine, release, held))
    blocker.start()
    held.wait(5)
    try:
        futures = [committer.submit(_delivery(n)) for n in range(20)]
    finally:
        release.set()
        blocker.join()
    accepted = [f.result(timeout=30) for f in futures]
    committer.stop()

    assert len({a.batch_id for a in accepted}) == 20
    assert committer.transactions <= 3  # the first, stuck behind the lock; then the rest
    with store.unit_of_work() as uow:
        pending = uow.inbox.pending(limit=100)
    assert [b.alerts[0].labels["alertname"] for b in pending] == [f"Down{n}" for n in range(20)]


def test_a_delivery_the_store_refuses_fails_alone(store: Store) -> None:
    committer = GroupCommitter(store)
    release, held = threading.Event(), threading.Event()
    blocker = threading.Thread(target=_hold_inbox, args=(store.engine, release, held))
    blocker.start()
    held.wait(5)
    try:
        good = [committer.submit(_delivery(n)) for n in range(5)]
        # A label value that cannot be encoded: stands for any delivery the database refuses.
        bad = committer.submit(_delivery(99, labels=cast(dict[str, str], {"x": object()})))
        good += [committer.submit(_delivery(n)) for n in range(5, 10)]
    finally:
        release.set()
        blocker.join()
    accepted = [f.result(timeout=30) for f in good]
    committer.stop()

    with pytest.raises(TypeError):
        bad.result(timeout=1)
    assert len({a.batch_id for a in accepted}) == 10
    with store.unit_of_work() as uow:
        assert uow.inbox.count_alerts() == 10


def test_stopping_commits_what_is_queued_and_later_deliveries_still_commit(store: Store) -> None:
    committer = GroupCommitter(store)
    futures: list[Future[Accepted]] = [committer.submit(_delivery(n)) for n in range(5)]
    committer.stop()
    late = committer.submit(_delivery(5))
    assert [f.result(timeout=1).accepted for f in [*futures, late]] == [1] * 6
    with store.unit_of_work() as uow:
        assert uow.inbox.backlog() == 6
