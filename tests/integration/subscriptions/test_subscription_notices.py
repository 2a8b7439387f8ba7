"""What subscribers hear of: held states, published updates, maintenance; never twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from monitor.bootstrap import build_runtime
from monitor.store.models import SubscriptionDeliveryRow
from tests.integration.pipeline.conftest import Clock, event
from tests.integration.subscriptions.conftest import T0, Subscribers

CARD = "card@example.org"
CHECKIN = "checkin@example.org"


def _postgres(subscribers: Subscribers, *, status: str = "firing", minutes: float = 0) -> None:
    ended = T0 + timedelta(minutes=minutes) if status == "resolved" else None
    subscribers.harness.post_events(
        [
            event(
                "PostgresDown",
                status=status,
                started=T0,
                ended=ended,
                service="postgres",
                role="primary",
            )
        ]
    )


def test_a_flap_shorter_than_the_debounce_sends_nothing(subscribers: Subscribers) -> None:
    subscribers.email(CARD, touchpoints=["card-payments"])
    _postgres(subscribers)
    subscribers.at(minutes=1)
    _postgres(subscribers, status="resolved", minutes=2)
    for minute in (3, 6, 10, 30, 120):
        subscribers.at(minutes=minute)
    assert subscribers.notices(CARD) == []


def test_a_held_outage_sends_exactly_one_notice_and_then_one_recovery(
    subscribers: Subscribers,
) -> None:
    subscribers.email(CARD, touchpoints=["card-payments"])
    _postgres(subscribers)
    subscribers.at(minutes=1)
    subscribers.at(minutes=4)
    assert subscribers.notices(CARD) == []
    for minute in (6, 7, 20, 39):
        subscribers.at(minutes=minute)
    [outage] = subscribers.notices(CARD)
    assert outage["Subject"] == "Card payments: major outage"
    _postgres(subscribers, status="resolved", minutes=40)
    subscribers.at(minutes=41)
    subscribers.at(minutes=44)
    assert len(subscribers.notices(CARD)) == 1
    subscribers.at(minutes=46)
    subscribers.at(minutes=60)
    assert [m["Subject"] for m in subscribers.notices(CARD)] == [
        "Card payments: major outage",
        "Card payments: operational",
    ]


def test_published_updates_reach_subscribers_of_that_touchpoint_only(
    subscribers: Subscribers,
) -> None:
    subscribers.email(CARD, touchpoints=["card-payments"])
    subscribers.email(CHECKIN, touchpoints=["check-in"])
    subscribers.email("all@example.org", language="fr")
    incident = subscribers.declare(["card-payments"])
    subscribers.publish(incident, "Card payments are failing.\nWe are on it.")
    subscribers.process()
    [card] = subscribers.notices(CARD)
    assert card["Subject"] == "Incident update: Card payments are failing. We are on it."
    assert "Card payments are failing." in str(card.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert subscribers.notices(CHECKIN) == []
    [everything] = subscribers.notices("all@example.org")
    assert "FR Card payments are failing." in str(everything.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_maintenance_notices_reach_component_and_dependent_touchpoint_subscribers(
    subscribers: Subscribers,
) -> None:
    subscribers.email("pdf@example.org", components=["payslip-renderer"])
    subscribers.email("payslips@example.org", touchpoints=["payslips"])
    subscribers.email(CHECKIN, touchpoints=["check-in"])
    answer = subscribers.harness.client.post(
        "/api/v1/maintenances",
        json={
            "title": "Renderer upgrade",
            "starts_at": (T0 + timedelta(days=1)).isoformat(),
            "ends_at": (T0 + timedelta(days=1, hours=1)).isoformat(),
            "components": ["payslip-renderer"],
            "created_by": "ops",
        },
    )
    assert answer.status_code == 201, answer.text
    subscribers.process()
    for address in ("pdf@example.org", "payslips@example.org"):
        [notice] = subscribers.notices(address)
        assert notice["Subject"] == "Planned maintenance: Renderer upgrade"
    assert subscribers.notices(CHECKIN) == []


def test_restarts_do_not_send_again(subscribers: Subscribers) -> None:
    subscribers.email(CARD, touchpoints=["card-payments"])
    _postgres(subscribers)
    subscribers.at(minutes=1)
    incident = subscribers.declare(["card-payments"])
    subscribers.publish(incident, "Card payments are failing.")
    subscribers.at(minutes=10)
    assert len(subscribers.notices(CARD)) == 2
    engine = subscribers.harness.runtime.store.engine
    with engine.connect() as connection:
        planned = connection.scalar(select(func.count()).select_from(SubscriptionDeliveryRow))

    settings = subscribers.settings
    again = build_runtime(settings, clock=Clock(now=T0 + timedelta(minutes=11)))
    try:
        again.worker.run_once()
        again.worker.run_once()
    finally:
        again.close()
    subscribers.at(minutes=12)
    assert len(subscribers.notices(CARD)) == 2
    with engine.connect() as connection:
        assert (
            connection.scalar(select(func.count()).select_from(SubscriptionDeliveryRow)) == planned
        )
