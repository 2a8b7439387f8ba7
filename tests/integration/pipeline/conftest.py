"""A monitor runtime on the test database, driven through its HTTP API with a settable clock."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.bootstrap import Runtime, build_runtime
from monitor.settings import Settings
from tests.conftest import EXAMPLE_CATALOG


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 18, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """The runtime, its API client and its clock."""

    runtime: Runtime
    client: TestClient
    clock: Clock

    def post_alertmanager(self, body: bytes) -> Any:
        response = self.client.post("/api/v1/ingest/alertmanager", content=body)
        assert response.status_code == 200, response.text
        return response.json()

    def post_events(self, events: list[dict[str, Any]]) -> Any:
        response = self.client.post("/api/v1/ingest/events", json={"events": events})
        assert response.status_code == 200, response.text
        return response.json()

    def process(self) -> int:
        return self.runtime.worker.run_once()

    def incidents(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/incidents")
        assert response.status_code == 200
        return list(response.json()["items"])

    def incident(self, incident_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/incidents/{incident_id}")
        assert response.status_code == 200
        return dict(response.json())


def settings_for(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    """Settings for a test runtime on ``database_url`` (no playbooks unless given)."""
    values: dict[str, Any] = {
        "require_auth": False,
        "playbooks_dir": tmp_path / "no-playbooks",
        **extra,
    }
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        catalog_path=EXAMPLE_CATALOG,
        **values,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def harness(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Harness]:
    runtime = build_runtime(settings_for(database_url, tmp_path), clock=clock)
    app = create_app(runtime, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Harness(runtime, client, clock)
    runtime.close()


def event(
    name: str,
    *,
    status: str = "firing",
    started: datetime,
    ended: datetime | None = None,
    severity: str = "critical",
    **labels: str,
) -> dict[str, Any]:
    """A generic event as another tool would post it."""
    body: dict[str, Any] = {
        "source": "test-tool",
        "name": name,
        "status": status,
        "severity": severity,
        "labels": labels,
        "started_at": started.isoformat(),
        "summary": f"{name} on {labels}",
    }
    if ended is not None:
        body["ended_at"] = ended.isoformat()
    return body


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()
