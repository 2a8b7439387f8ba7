"""Signing up: double opt-in, one-click unsubscribe, signed webhooks, refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from tests.integration.subscriptions.conftest import BASE, Subscribers, link_in
from tests.support.processes import ReceivedRequest

ADDRESS = "ada@example.org"


def header(request: ReceivedRequest, name: str) -> str:
    return next(v for k, v in request.headers.items() if k.lower() == name.lower())


def verifies(secret: str, request: ReceivedRequest) -> bool:
    """Check X-Monitor-Signature the way a receiver would."""
    fields = dict(part.split("=", 1) for part in header(request, "X-Monitor-Signature").split(","))
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_nothing_but_the_confirmation_is_mailed_before_the_link_is_used(
    subscribers: Subscribers,
) -> None:
    answer = subscribers.post(kind="email", target=ADDRESS, touchpoints=["card-payments"])
    assert answer.status_code == 202
    assert "token" not in answer.text
    assert answer.json()["signing_secret"] is None
    subscribers.process()
    [confirmation] = subscribers.mailbox.to(ADDRESS)
    assert confirmation["Subject"] == "Confirm your status subscription"
    assert confirmation["List-Unsubscribe"] is None
    incident = subscribers.declare(["card-payments"])
    subscribers.publish(incident, "Card payments are failing; we are on it.")
    subscribers.process()
    assert subscribers.mailbox.to(ADDRESS) == [confirmation]

    subscribers.harness.clock.advance(minutes=1)
    link = link_in(confirmation)
    assert subscribers.harness.client.get(link).status_code == 200
    again = subscribers.harness.client.get(link)
    assert again.status_code == 404  # the link works once
    subscribers.publish(incident, "A fix is being deployed.")
    subscribers.process()
    [notice] = subscribers.notices(ADDRESS)
    assert "A fix is being deployed." in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "we are on it" not in str(notice)  # published before confirmation: never sent


def test_one_click_unsubscribe_stops_mail(subscribers: Subscribers) -> None:
    subscribers.email(ADDRESS)
    incident = subscribers.declare(["card-payments"])
    subscribers.publish(incident, "Card payments are failing.")
    subscribers.process()
    [notice] = subscribers.notices(ADDRESS)
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = notice["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{BASE}/api/v1/subscriptions/unsubscribe?token=")
    client = subscribers.harness.client
    page = client.get(url.removeprefix(BASE))
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    subscribers.publish(incident, "Still failing.")  # the GET alone unsubscribes nobody
    subscribers.process()
    assert len(subscribers.notices(ADDRESS)) == 2

    # What a mail client does for List-Unsubscribe-Post (RFC 8058).
    done = client.post(url.removeprefix(BASE), content=b"List-Unsubscribe=One-Click")
    assert done.status_code == 200
    assert client.post(url.removeprefix(BASE)).status_code == 200  # twice is harmless
    subscribers.publish(incident, "Fixed.")
    subscribers.process()
    assert len(subscribers.notices(ADDRESS)) == 2


def test_webhooks_are_confirmed_signed_and_carry_an_idempotency_key(
    subscribers: Subscribers,
) -> None:
    target = f"{subscribers.receiver.url}/status-hook"
    answer = subscribers.post(kind="webhook", target=target, touchpoints=["card-payments"])
    assert answer.status_code == 201, answer.text
    secret = answer.json()["signing_secret"]
    assert secret.startswith("whsec_")
    subscribers.process()
    [confirmation] = subscribers.receiver.requests
    assert verifies(secret, confirmation)
    body = json.loads(confirmation.body)
    assert body["type"] == "subscription.confirm"
    incident = subscribers.declare(["card-payments"])
    subscribers.publish(incident, "Before confirmation.")
    subscribers.process()
    assert len(subscribers.receiver.requests) == 1
    subscribers.harness.clock.advance(minutes=1)
    client = subscribers.harness.client
    assert client.get(body["data"]["confirm_url"].removeprefix(BASE)).status_code == 200

    subscribers.publish(incident, "Card payments are failing.")
    subscribers.process()
    update = subscribers.receiver.requests[-1]
    assert verifies(secret, update)
    data: Mapping[str, object] = json.loads(update.body)
    assert data["type"] == "incident.updated"
    assert data["data"]["en"] == "Card payments are failing."  # type: ignore[index]
    assert header(update, "Idempotency-Key") == data["id"]
    assert not verifies("whsec_wrong", update)
    tampered = ReceivedRequest(update.path, update.headers, update.body + b" ", 0.0)
    assert not verifies(secret, tampered)


def test_bad_input_gets_a_4xx_with_a_message(subscribers: Subscribers) -> None:
    cases = [
        {"kind": "email", "target": "not-an-address"},
        {"kind": "email", "target": "ada@example.org\r\nBcc: eve@example.org"},
        {"kind": "webhook", "target": "ftp://example.org/hook"},
        {"kind": "webhook", "target": "http://user:pw@example.org/hook"},
        {"kind": "email", "target": ADDRESS, "touchpoints": ["teleport"]},
        {"kind": "email", "target": ADDRESS, "components": ["warp-core"]},
        {"kind": "pigeon", "target": ADDRESS},
        {"kind": "email", "target": ADDRESS, "colour": "blue"},
    ]
    for body in cases:
        answer = subscribers.post(**body)
        assert 400 <= answer.status_code < 500, (body, answer.text)
        assert answer.json()["error"]["message"], body
    client = subscribers.harness.client
    assert (
        client.get("/api/v1/subscriptions/confirm", params={"token": "0" * 64}).status_code == 404
    )
    assert client.get("/api/v1/subscriptions/confirm", params={"token": "x"}).status_code == 422
    assert (
        client.post("/api/v1/subscriptions/unsubscribe", params={"token": "0" * 64}).status_code
        == 404
    )
    assert client.post("/api/v1/subscriptions/unsubscribe").status_code == 422


def test_an_address_gets_one_confirmation_an_hour_and_is_never_revealed(
    subscribers: Subscribers,
) -> None:
    first = subscribers.post(kind="email", target=ADDRESS)
    second = subscribers.post(kind="email", target=ADDRESS)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    subscribers.process()
    assert len(subscribers.mailbox.to(ADDRESS)) == 1
