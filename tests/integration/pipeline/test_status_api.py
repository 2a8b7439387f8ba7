"""The status API: what is broken for customers, for whom to see, cacheable, with history."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.domain import EventKind
from monitor.services.tokens import create_token, revoke_token
from tests.integration.pipeline.conftest import Clock, Harness, event, settings_for

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(harness: Harness) -> None:
    harness.clock.now = T0 + timedelta(minutes=2)


def _postgres_down(harness: Harness) -> None:
    harness.post_events([event("PostgresDown", started=T0, service="postgres", role="primary")])
    harness.process()
    harness.client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]


def test_status_shows_every_touchpoint_and_the_overall_indicator(harness: Harness) -> None:
    quiet = harness.client.get("/api/v1/status").json()
    assert quiet["indicator"] == "none"
    assert {t["state"] for t in quiet["touchpoints"]} == {"operational"}
    assert len(quiet["touchpoints"]) == 10
    _postgres_down(harness)
    body = harness.client.get("/api/v1/status").json()
    assert body["indicator"] == "critical"
    card = next(t for t in body["touchpoints"] if t["id"] == "card-payments")
    assert card["state"] == "major_outage"
    assert card["since"] == "2026-11-25T17:00:00Z"
    assert card["incident_ids"] == [body["incidents"][0]["id"]]
    assert card["affected_customers"] is None  # estimate pending, never a silent zero


def test_the_public_view_hides_components_alerts_and_counts(harness: Harness) -> None:
    _postgres_down(harness)
    public = harness.client.get("/api/v1/status", params={"view": "public"}).json()
    assert public["view"] == "public"
    text = str(public)
    assert "db-primary-eu" not in text
    assert "PostgresDown" not in text
    [incident] = public["incidents"]
    assert incident["title"] is None
    assert incident["components"] is None
    assert all(t["incident_ids"] is None for t in public["touchpoints"])
    assert all(t["affected_customers"] is None for t in public["touchpoints"])


def test_status_is_cacheable_with_an_etag(harness: Harness) -> None:
    first = harness.client.get("/api/v1/status")
    etag = first.headers["etag"]
    again = harness.client.get("/api/v1/status", headers={"if-none-match": etag})
    assert again.status_code == 304
    _postgres_down(harness)
    changed = harness.client.get("/api/v1/status", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "last-modified" in changed.headers


def test_a_touchpoint_has_its_explanation_history_and_uptime(harness: Harness) -> None:
    _postgres_down(harness)
    harness.post_events(
        [
            event(
                "PostgresDown",
                status="resolved",
                started=T0,
                ended=T0 + timedelta(minutes=30),
                service="postgres",
                role="primary",
            )
        ]
    )
    harness.clock.now = T0 + timedelta(hours=1)
    harness.process()
    body = harness.client.get("/api/v1/touchpoints/card-payments").json()
    assert body["state"] == "operational"
    assert body["periods"] == [
        {
            "state": "major_outage",
            "since": "2026-11-25T17:00:00Z",
            "until": "2026-11-25T17:30:00Z",
        }
    ]
    assert len(body["days"]) == 90
    today = body["days"][-1]
    assert today["day"] == "2026-11-25"
    assert today["worst"] == "major_outage"
    # 30 minutes down out of the 18 hours of the day so far
    assert today["uptime"] == pytest.approx(1 - 30 / (18 * 60), abs=1e-6)
    assert body["days"][0]["uptime"] == 1.0
    assert harness.client.get("/api/v1/touchpoints/teleport").status_code == 404


def test_a_live_touchpoint_explains_itself(harness: Harness) -> None:
    _postgres_down(harness)
    harness.client.app.state.health_cache.invalidate()  # type: ignore[attr-defined]
    body = harness.client.get("/api/v1/touchpoints/card-payments").json()
    assert body["explanation"]
    assert "db-primary-eu (alert PostgresDown)" in body["explanation"][0]


def test_components_show_health_and_unmapped_alerts(harness: Harness) -> None:
    harness.post_events([event("DiskFull", started=T0, service="legacy-ftp")])
    _postgres_down(harness)
    harness.client.app.state.health_cache.invalidate()  # type: ignore[attr-defined]
    body = harness.client.get("/api/v1/components").json()
    db = next(c for c in body["components"] if c["id"] == "db-primary-eu")
    assert db["health"] == "down"
    assert db["firing_alerts"] == ["PostgresDown"]
    assert body["unmapped_alerts"] == ["DiskFull"]


def test_incidents_filter_and_page_with_a_cursor(harness: Harness) -> None:
    for i in range(5):
        harness.post_events(
            [event(f"Ledger{i}", started=T0 + timedelta(hours=i), component="ledger")]
        )
        harness.clock.now = T0 + timedelta(hours=i, minutes=1)
        harness.process()
        harness.client.patch(f"/api/v1/incidents/{i + 1}", json={"by": "ops", "state": "resolved"})
    harness.post_events(
        [event("DcsDown", started=T0 + timedelta(hours=6), service="departure-control")]
    )
    harness.clock.now = T0 + timedelta(hours=6, minutes=1)
    harness.process()
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, "touchpoint": "transfers"}
        if cursor:
            params["cursor"] = cursor
        page = harness.client.get("/api/v1/incidents", params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]
    open_only = harness.client.get("/api/v1/incidents", params={"state": "investigating"}).json()
    assert [i["id"] for i in open_only["items"]] == [6]
    window = harness.client.get(
        "/api/v1/incidents",
        params={
            "opened_from": (T0 + timedelta(hours=2)).isoformat(),
            "opened_to": (T0 + timedelta(hours=4)).isoformat(),
        },
    ).json()
    assert [i["id"] for i in window["items"]] == [4, 3]
    bad = harness.client.get("/api/v1/incidents", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert "cursor" in bad.json()["error"]["message"]
    unknown = harness.client.get("/api/v1/incidents", params={"touchpoint": "teleport"})
    assert unknown.status_code == 422
    naive = harness.client.get("/api/v1/incidents", params={"opened_from": "2026-11-25T10:00:00"})
    assert naive.status_code == 422


def test_patch_applies_acknowledge_state_and_note_together(harness: Harness) -> None:
    _postgres_down(harness)
    response = harness.client.patch(
        "/api/v1/incidents/1",
        json={"by": "dana", "acknowledge": True, "state": "identified", "note": "failover started"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_by"] == "dana"
    assert response.json()["state"] == "identified"
    kinds = [e["kind"] for e in harness.incident(1)["timeline"]]
    assert kinds[-2:] == ["acknowledged", "state_changed"]
    empty = harness.client.patch("/api/v1/incidents/1", json={"by": "dana"})
    assert empty.status_code == 422
    note = harness.client.patch("/api/v1/incidents/1", json={"by": "dana", "note": "DBA paged"})
    assert note.status_code == 200
    assert harness.incident(1)["timeline"][-1]["summary"] == "dana: DBA paged"


def test_published_updates_reach_the_public_status(harness: Harness) -> None:
    _postgres_down(harness)
    published = harness.client.post(
        "/api/v1/incidents/1/updates",
        json={
            "by": "comms",
            "message_en": "Card payments are failing; we are working on it.",
            "message_fr": "Les paiements par carte échouent ; nous y travaillons.",
        },
    )
    assert published.status_code == 201, published.text
    harness.client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]
    public = harness.client.get("/api/v1/status", params={"view": "public"}).json()
    [update] = public["incidents"][0]["updates"]
    assert update["en"].startswith("Card payments are failing")
    assert update["fr"].startswith("Les paiements")


def _publish(harness: Harness, *, state: str, pinned: bool, minutes: int) -> None:
    """A status-page step's update, as the dispatcher records it."""
    with harness.runtime.store.unit_of_work() as uow:
        uow.incidents.add_event(
            1,
            at=T0 + timedelta(minutes=minutes),
            kind=EventKind.PUBLIC_UPDATE,
            source="playbook:test",
            summary="Card payments: some customers cannot pay.",
            data={"en": "Card payments: some customers cannot pay.", "fr": "",
                  "touchpoint": "card-payments", "state": state, "pinned": pinned},
        )  # fmt: skip
        uow.commit()
    harness.client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]


def _card_payments(harness: Harness, view: str) -> dict[str, object]:
    touchpoints = harness.client.get("/api/v1/status", params={"view": view}).json()["touchpoints"]
    [card] = [t for t in touchpoints if t["id"] == "card-payments"]
    return card  # type: ignore[no-any-return]


def test_a_state_a_playbook_publishes_is_what_the_status_shows_while_open(
    harness: Harness,
) -> None:
    _postgres_down(harness)
    assert _card_payments(harness, "public")["state"] == "major_outage"
    _publish(harness, state="degraded_performance", pinned=False, minutes=3)
    assert _card_payments(harness, "public")["state"] == "major_outage"  # "current": no pin
    _publish(harness, state="partial_outage", pinned=True, minutes=4)
    public = _card_payments(harness, "public")
    assert public["state"] == "partial_outage"
    assert "monitored_state" not in public or public["monitored_state"] is None
    internal = _card_payments(harness, "internal")
    assert internal["state"] == "partial_outage"
    assert internal["monitored_state"] == "major_outage"
    _publish(harness, state="major_outage", pinned=True, minutes=5)  # the latest one counts
    assert _card_payments(harness, "public")["state"] == "major_outage"


@pytest.fixture
def secured(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, object]]:
    clock = Clock(now=T0)
    runtime = build_runtime(
        settings_for(database_url, tmp_path, require_auth=True, ingest_token="am-secret"),
        clock=clock,
    )
    with TestClient(create_app(runtime, start_worker=False)) as client:
        yield client, runtime
    runtime.close()


def test_tokens_carry_scopes(secured: tuple[TestClient, object]) -> None:
    client, runtime = secured
    store = runtime.store  # type: ignore[attr-defined]
    reader, _ = create_token(
        store, name="support desk", scopes=["status:read"], actor="cli:test", now=T0
    )
    writer, _ = create_token(
        store, name="incident bot", scopes=["incidents:write"], actor="cli:test", now=T0
    )
    declare = {"title": "Customers report failures", "declared_by": "x"}
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/status").json()["view"] == "public"
    as_reader = {"authorization": f"Bearer {reader}"}
    as_writer = {"authorization": f"Bearer {writer}"}
    assert client.get("/api/v1/incidents", headers=as_reader).status_code == 200
    assert client.get("/api/v1/status", headers=as_reader).json()["view"] == "internal"
    assert client.post("/api/v1/incidents", json=declare, headers=as_reader).status_code == 403
    assert client.post("/api/v1/incidents", json=declare, headers=as_writer).status_code == 201
    assert (
        client.get("/api/v1/incidents", headers={"authorization": "Bearer nope"}).status_code == 401
    )
    # the Alertmanager credential only ingests
    as_am = {"authorization": "Bearer am-secret"}
    assert client.get("/api/v1/incidents", headers=as_am).status_code == 403


def test_a_revoked_token_is_refused_by_a_fresh_process(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database_url, tmp_path, require_auth=True)
    runtime = build_runtime(settings)
    token, record = create_token(
        runtime.store, name="old", scopes=["admin"], actor="cli:test", now=T0
    )
    assert revoke_token(runtime.store, token_id=record.id, actor="cli:test", now=T0)
    with TestClient(create_app(runtime, start_worker=False)) as client:
        response = client.get("/api/v1/incidents", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    runtime.close()
    with runtime.store.unit_of_work() as uow:
        stored = uow.tokens.all()
    assert token not in str(stored)
