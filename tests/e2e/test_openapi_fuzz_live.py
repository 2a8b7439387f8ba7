"""Schemathesis against ``monitor serve`` itself: a real process, over HTTP, with auth on.

The in-process run (``test_openapi_fuzz``) covers every operation in depth
with auth off; this one sends generated requests through uvicorn to a
running monitor (worker and scheduler running) that requires bearer tokens,
once with an admin token and once with none, so authentication, body
limits and the HTTP server are in the path. No request may get a 5xx.
"""

from __future__ import annotations

import atexit
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from monitor.services.tokens import create_token
from monitor.store import Store, create_store_engine, migrate
from tests.support.monitor_process import MonitorProcess, start_monitor
from tests.support.openapi_checks import call_and_check

pytestmark = pytest.mark.slow

REPORT = {"method": "GET", "path": "/api/v1/incidents/{incident_id}/report"}
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.generate],
)


def _start() -> tuple[MonitorProcess, str]:
    """A monitor requiring tokens, and an admin token for it.

    Started when the module is collected, as the in-process run builds its
    app: schemathesis needs the schema to generate the tests. Killed at exit.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="fuzz-live-"))
    url = f"sqlite:///{data_dir / 'monitor.db'}"
    engine = create_store_engine(url)
    migrate.upgrade(engine)
    token, _ = create_token(
        Store(engine), name="fuzz", scopes=["admin"], actor="test", now=datetime.now(UTC)
    )
    engine.dispose()
    extra = {"MONITOR_REQUIRE_AUTH": "true", "MONITOR_MAX_BODY_BYTES": str(64 * 1024)}
    server = start_monitor(database_url=url, data_dir=data_dir, extra=extra)
    atexit.register(server.kill)
    return server, token


SERVER, TOKEN = _start()
schema = schemathesis.openapi.from_url(f"{SERVER.url}/openapi.json")


@schema.exclude(**REPORT).parametrize()
@settings(FUZZ, max_examples=30)
def test_generated_requests_with_an_admin_token_get_no_server_error(
    case: schemathesis.Case,
) -> None:
    call_and_check(case, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


@schema.exclude(**REPORT).parametrize()
@settings(FUZZ, max_examples=5)
def test_generated_requests_without_a_token_get_no_server_error(case: schemathesis.Case) -> None:
    call_and_check(case, headers={}, timeout=30)
