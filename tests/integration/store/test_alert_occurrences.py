"""Deliveries of one occurrence merge to the same result whatever their order."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import Alert, AlertStatus
from monitor.store import Store
from monitor.store.repositories.alerts import Outcome

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _occurrence(
    status: AlertStatus,
    *,
    started: datetime,
    fingerprint: str,
    lasting: timedelta = timedelta(minutes=1),
) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        source="alertmanager",
        status=status,
        labels={"alertname": "QueueBacklog", "service": "rabbitmq"},
        annotations={},
        starts_at=started,
        ends_at=started + lasting if status is AlertStatus.RESOLVED else None,
    )


def _alert(status: AlertStatus) -> Alert:
    return _occurrence(
        status, started=T0, fingerprint="0123456789abcdef", lasting=timedelta(minutes=3)
    )


def test_resolved_before_firing_records_a_resolved_occurrence_and_ignores_the_late_firing(
    store: Store,
) -> None:
    with store.unit_of_work() as uow:
        first = uow.alerts.record(_alert(AlertStatus.RESOLVED), received_at=T0)
        late = uow.alerts.record(_alert(AlertStatus.FIRING), received_at=T0)
        uow.commit()
    assert first.outcome is Outcome.RESOLVED_UNSEEN
    assert late.outcome is Outcome.DUPLICATE
    assert late.alert.status is AlertStatus.RESOLVED
    with store.unit_of_work() as uow:
        assert uow.alerts.firing() == []


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations(["firing", "firing", "resolved", "resolved"])),
)
def test_every_delivery_order_ends_resolved_with_one_row(
    store: Store, order: tuple[str, ...]
) -> None:
    with store.unit_of_work() as uow:
        outcomes = [
            uow.alerts.record(_alert(AlertStatus(s)), received_at=T0).outcome for s in order
        ]
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.alerts.count() == 1
        assert uow.alerts.firing() == []
    changes = [o for o in outcomes if o is not Outcome.DUPLICATE]
    if order[0] == "firing":
        assert changes == [Outcome.FIRED, Outcome.RESOLVED]
    else:
        assert changes == [Outcome.RESOLVED_UNSEEN]


def test_a_new_start_time_is_a_new_occurrence(store: Store) -> None:
    later = Alert(
        fingerprint="0123456789abcdef",
        source="alertmanager",
        status=AlertStatus.FIRING,
        labels={"alertname": "QueueBacklog", "service": "rabbitmq"},
        annotations={},
        starts_at=T0 + timedelta(minutes=10),
    )
    with store.unit_of_work() as uow:
        uow.alerts.record(_alert(AlertStatus.FIRING), received_at=T0)
        uow.alerts.record(_alert(AlertStatus.RESOLVED), received_at=T0)
        again = uow.alerts.record(later, received_at=T0)
        uow.commit()
    assert again.outcome is Outcome.FIRED
    with store.unit_of_work() as uow:
        assert uow.alerts.count() == 2
        assert uow.alerts.occurrences_since("0123456789abcdef", since=T0) == 2


def test_nul_and_lone_surrogates_from_outside_are_stored_as_replacement_characters(
    store: Store,
) -> None:
    odd = Alert(
        fingerprint="00000000000000ff",
        source="events",
        status=AlertStatus.FIRING,
        labels={"alertname": "Odd\x00Name", "note": "bad\udcffbyte"},
        annotations={"summary": "nul \x00 inside"},
        starts_at=T0,
        generator_url="http://x/\x00",
    )
    with store.unit_of_work() as uow:
        uow.inbox.add_batch(source="events", payload=b"\x00", alerts=[odd], received_at=T0)
        uow.alerts.record(odd, received_at=T0)
        uow.commit()
    with store.unit_of_work() as uow:
        [stored] = uow.alerts.firing()
        [pending] = uow.inbox.pending(limit=1)
    assert stored.labels == {"alertname": "Odd\ufffdName", "note": "bad\ufffdbyte"}
    assert stored.annotations == {"summary": "nul \ufffd inside"}
    assert pending.alerts[0].labels["note"] == "bad\ufffdbyte"


def _pass(store: Store, series: tuple[str, str], *, prefetched: bool) -> list[tuple[Outcome, int]]:
    """One processing pass over two flapping series (an earlier occurrence already stored):
    new starts, repeats and resolutions; returns each delivery's outcome and start count."""
    with store.unit_of_work() as uow:
        earlier = T0 - timedelta(minutes=5)
        uow.alerts.record(
            _occurrence(AlertStatus.FIRING, started=earlier, fingerprint=series[0]), received_at=T0
        )
        uow.commit()
    storm = [
        _occurrence(status, started=T0 + timedelta(minutes=2 * minute), fingerprint=fingerprint)
        for minute in range(6)
        for fingerprint in series
        for status in (AlertStatus.FIRING, AlertStatus.FIRING, AlertStatus.RESOLVED)
    ]
    since = T0 - timedelta(minutes=30)
    results = []
    with store.unit_of_work() as uow:
        if prefetched:
            uow.alerts.prefetch(storm, since=since)
        for alert in storm:
            recorded = uow.alerts.record(alert, received_at=T0, since=since)
            if recorded.outcome is Outcome.FIRED:
                uow.alerts.set_correlation(
                    recorded.id,
                    components=["rabbitmq"],
                    touchpoints=[],
                    unmapped=True,
                    suppressed=False,
                )
                uow.alerts.assign(recorded.id, None)
            results.append((recorded.outcome, recorded.recent_starts))
        uow.commit()
    return results


def test_a_prefetched_pass_records_what_one_query_per_alert_records(store: Store) -> None:
    queried = _pass(store, ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"), prefetched=False)
    prefetched = _pass(store, ("cccccccccccccccc", "dddddddddddddddd"), prefetched=True)

    assert prefetched == queried
    assert [o for o, _ in queried].count(Outcome.FIRED) == 12
    assert max(n for _, n in queried) == 7  # the earlier occurrence counts towards flapping
    with store.unit_of_work() as uow:
        assert uow.alerts.count() == 2 * 13
        firing = sorted(a.fingerprint for a in uow.alerts.firing())
        assert firing == ["aaaaaaaaaaaaaaaa", "cccccccccccccccc"]
        # every new occurrence kept its correlation through the one late flush
        correlated = uow.alerts.unmapped(firing_only=False)
        assert len(correlated) == 2 * 12
        assert {a.components for a in correlated} == {("rabbitmq",)}


def test_unmapped_names_are_the_distinct_names_of_firing_unmapped_alerts_sorted(
    store: Store,
) -> None:
    """What Slack lists as unmapped: not the resolved ones, not the mapped ones, each name once."""
    names = ["QueueBacklog", "DiskFull", "QueueBacklog", "Zombie", "CertExpiry", "DiskFull"]
    with store.unit_of_work() as uow:
        assert uow.alerts.unmapped_names() == []
        for i, name in enumerate([*names, "Mapped", "Resolved"]):
            alert = Alert(
                fingerprint=f"{i:016x}",
                source="alertmanager",
                status=AlertStatus.RESOLVED if name == "Resolved" else AlertStatus.FIRING,
                labels={"alertname": name},
                annotations={},
                starts_at=T0,
                ends_at=T0 + timedelta(minutes=1) if name == "Resolved" else None,
            )
            stored = uow.alerts.record(alert, received_at=T0)
            uow.alerts.set_correlation(
                stored.id,
                components=["ledger"] if name == "Mapped" else [],
                touchpoints=[],
                unmapped=name != "Mapped",
                suppressed=False,
            )
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.alerts.unmapped_names() == ["CertExpiry", "DiskFull", "QueueBacklog", "Zombie"]
        assert uow.alerts.unmapped_names(limit=2) == ["CertExpiry", "DiskFull"]
