"""Limits: an hourly budget per subscriber with a digest, retries, per-client sign-ups, admin."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.services.tokens import create_token
from monitor.store.repositories.subscriptions import DeliveryStatus
from tests.integration.pipeline.conftest import Clock
from tests.integration.subscriptions.conftest import T0, Subscribers, subscription_settings
from tests.support.processes import free_port

ADDRESS = "busy@example.org"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"subscription_max_per_hour": 2, "subscription_requests_per_hour": 4}


def test_over_the_hourly_budget_notices_go_as_one_digest(subscribers: Subscribers) -> None:
    subscribers.email(ADDRESS)
    incident = subscribers.declare(["card-payments"])
    for n in range(4):
        subscribers.publish(incident, f"Update number {n}.")
    subscribers.process()
    first, digest = subscribers.notices(ADDRESS)
    assert "Update number 0." in str(first.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert digest["Subject"] == "3 status updates"
    text = str(digest.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert all(f"Update number {n}." in text for n in (1, 2, 3))

    subscribers.publish(incident, "Update number 4.")
    subscribers.at(minutes=30)
    assert len(subscribers.notices(ADDRESS)) == 2  # budget spent: it waits
    subscribers.at(minutes=61)
    assert len(subscribers.notices(ADDRESS)) == 3
    assert "Update number 4." in str(
        subscribers.notices(ADDRESS)[-1].get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]


def test_sign_ups_are_limited_per_client(subscribers: Subscribers) -> None:
    codes = [
        subscribers.post(kind="email", target=f"n{n}@example.org").status_code for n in range(5)
    ]
    assert codes == [202, 202, 202, 202, 429]


def test_an_unreachable_webhook_is_retried_with_back_off(subscribers: Subscribers) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"
    answer = subscribers.post(kind="webhook", target=dead)
    assert answer.status_code == 201
    subscribers.process()
    store = subscribers.harness.runtime.store
    with store.unit_of_work() as uow:
        [confirmation] = uow.subscriptions.deliveries_of(int(answer.json()["id"]))
    assert confirmation.status is DeliveryStatus.PENDING
    assert confirmation.attempts == 1
    assert confirmation.due_at == T0 + timedelta(seconds=30)
    subscribers.at(seconds=31)
    with store.unit_of_work() as uow:
        [confirmation] = uow.subscriptions.deliveries_of(int(answer.json()["id"]))
    assert confirmation.attempts == 2
    assert confirmation.due_at == T0 + timedelta(seconds=31 + 60)
    assert confirmation.last_error is not None
    assert "127.0.0.1" not in confirmation.last_error


def test_listing_subscriptions_needs_an_admin_token(
    database_url: str, tmp_path: Path, mailbox: tuple[object, int]
) -> None:
    settings = subscription_settings(
        database_url, tmp_path, smtp_port=mailbox[1], require_auth=True
    )
    runtime = build_runtime(settings, clock=Clock(now=T0))
    try:
        with TestClient(create_app(runtime, start_worker=False)) as client:
            client.post("/api/v1/subscriptions", json={"kind": "email", "target": ADDRESS})
            assert client.get("/api/v1/subscriptions").status_code == 401
            reader, _ = create_token(
                runtime.store, name="r", scopes=["status:read"], actor="cli:test", now=T0
            )
            admin, _ = create_token(
                runtime.store, name="a", scopes=["admin"], actor="cli:test", now=T0
            )
            denied = client.get(
                "/api/v1/subscriptions", headers={"Authorization": f"Bearer {reader}"}
            )
            assert denied.status_code == 403
            listed = client.get(
                "/api/v1/subscriptions", headers={"Authorization": f"Bearer {admin}"}
            )
            assert listed.status_code == 200
            [item] = listed.json()
            assert item["target"] == "b***@example.org"
            assert item["confirmed_at"] is None
    finally:
        runtime.close()
