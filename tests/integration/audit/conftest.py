"""A monitor that requires tokens, with an admin, a writer and a reader, for the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor.api import create_app
from monitor.bootstrap import Runtime, build_runtime
from monitor.services.tokens import create_token
from monitor.store.repositories.audit import AuditEntry
from tests.integration.comms.conftest import comms  # noqa: F401 - a fixture used here too
from tests.integration.pipeline.conftest import Clock, TestClient, settings_for


@dataclass
class Secured:
    """The runtime, a client and one bearer header per scope."""

    runtime: Runtime
    client: TestClient
    clock: Clock
    admin: dict[str, str]
    writer: dict[str, str]
    reader: dict[str, str]

    def audit(self, **params: Any) -> dict[str, Any]:
        response = self.client.get("/api/v1/audit", params=params, headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def rows(self) -> list[AuditEntry]:
        """Every audit row as stored, newest first (read from the database, not the API)."""
        with self.runtime.store.unit_of_work() as uow:
            return uow.audit.page(limit=1000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def secured(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Secured]:
    runtime = build_runtime(settings_for(database_url, tmp_path, require_auth=True), clock=clock)
    store, now = runtime.store, clock.now
    admin, _ = create_token(store, name="ops lead", scopes=["admin"], actor="cli:setup", now=now)
    writer, _ = create_token(
        store, name="incident bot", scopes=["incidents:write"], actor="cli:setup", now=now
    )
    reader, _ = create_token(
        store, name="support desk", scopes=["status:read"], actor="cli:setup", now=now
    )
    with TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False) as c:
        yield Secured(runtime, c, clock, bearer(admin), bearer(writer), bearer(reader))
    runtime.close()
