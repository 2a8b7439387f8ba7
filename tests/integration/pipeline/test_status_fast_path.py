"""The status fast path answers exactly as the route does, and leaves it what it cannot decide."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.api.status_fast import FastStatus
from monitor.bootstrap import build_runtime
from monitor.services.tokens import create_token
from tests.integration.pipeline.conftest import Clock, settings_for

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
ROUTE = 599
"""What the stand-in for the FastAPI app answers: the request fell through."""


async def _route(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": ROUTE, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Any]]:
    """(the monitor's app, its fast path alone in front of a stand-in, the runtime)."""
    runtime = build_runtime(
        settings_for(database_url, tmp_path, require_auth=True), clock=Clock(now=T0)
    )
    app = create_app(runtime, start_worker=False)
    fast = FastStatus(
        _route,
        cache=app.state.status_cache,
        tokens=app.state.token_cache,
        rendered=app.state.status_bodies,
        require_auth=True,
        counts=False,
    )
    with TestClient(app) as client:
        yield client, TestClient(fast), runtime
    runtime.close()


def test_a_fresh_snapshot_is_served_without_the_route_and_with_the_same_answer(
    served: tuple[TestClient, TestClient, Any],
) -> None:
    client, fast, _ = served
    routed = client.get("/api/v1/status")
    direct = fast.get("/api/v1/status")
    assert direct.status_code == 200
    assert direct.content == routed.content
    assert direct.json()["view"] == "public"
    for header in ("etag", "cache-control", "vary", "content-type"):
        assert direct.headers[header] == routed.headers[header]
    again = fast.get("/api/v1/status", headers={"if-none-match": direct.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    if "last-modified" in direct.headers:
        since = {"if-modified-since": direct.headers["last-modified"]}
        assert fast.get("/api/v1/status", headers=since).status_code == 304


def test_a_token_the_cache_knows_gets_the_internal_view_and_a_new_one_goes_to_the_route(
    served: tuple[TestClient, TestClient, Any],
) -> None:
    client, fast, runtime = served
    reader, _ = create_token(
        runtime.store, name="desk", scopes=["status:read"], actor="cli:test", now=T0
    )
    as_reader = {"authorization": f"Bearer {reader}"}
    assert fast.get("/api/v1/status", headers=as_reader).status_code == ROUTE
    assert client.get("/api/v1/status", headers=as_reader).json()["view"] == "internal"
    assert fast.get("/api/v1/status", headers=as_reader).json()["view"] == "internal"
    public = fast.get("/api/v1/status?view=public", headers=as_reader)
    assert public.json()["view"] == "public"
    assert fast.get("/api/v1/status", headers={"authorization": "Basic x"}).status_code == ROUTE


def test_what_the_fast_path_cannot_decide_goes_to_the_route(
    served: tuple[TestClient, TestClient, Any],
) -> None:
    client, fast, _ = served
    client.get("/api/v1/status")
    assert fast.get("/api/v1/status?view=everything").status_code == ROUTE
    assert fast.get("/api/v1/status?view=public&x=1").status_code == ROUTE
    assert client.get("/api/v1/status?view=everything").status_code == 422
    client.app.state.status_cache.invalidate()  # type: ignore[attr-defined]
    assert fast.get("/api/v1/status").status_code == ROUTE
