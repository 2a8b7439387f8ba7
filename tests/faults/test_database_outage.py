"""The database going away, for real, behind a TCP proxy that the test cuts and restores.

The monitor reaches PostgreSQL through ``tests.support.tcp_proxy``: cutting
the proxy resets its connections and refuses new ones, as a failed-over or
unreachable server does, without touching the server other processes use.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import postgres_url
from tests.support.monitor_process import monitor, wait_until
from tests.support.payloads import captured_payloads
from tests.support.tcp_proxy import tcp_proxy

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_url() is None, reason="MONITOR_TEST_POSTGRES_URL is not set"),
]


def _incidents(url: str) -> list[dict[str, object]]:
    items = httpx.get(f"{url}/api/v1/incidents", timeout=5).json()["items"]
    assert isinstance(items, list)
    return items


def test_ingest_answers_503_while_the_database_is_cut_and_resumes_after(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the proxy stands between the monitor and PostgreSQL")
    real = make_url(database_url)
    payloads = captured_payloads()
    with tcp_proxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with monitor(database_url=through, data_dir=tmp_path, wait_for="/readyz") as server:
            post = f"{server.url}/api/v1/ingest/alertmanager"
            assert httpx.post(post, content=payloads["postgres-down-firing"]).status_code == 200
            wait_until(lambda: len(_incidents(server.url)) == 1, what="the first incident")

            proxy.refuse()
            refused = httpx.post(post, content=payloads["card-auth-errors-payments"], timeout=30)
            ready = httpx.get(f"{server.url}/readyz", timeout=30)
            alive = httpx.get(f"{server.url}/healthz", timeout=5)
            print(f"while cut: ingest {refused.status_code}, readyz {ready.status_code}")
            assert refused.status_code == 503
            assert refused.headers["retry-after"]
            assert refused.json()["error"]["code"] == "store_unavailable"
            assert ready.status_code == 503
            assert alive.status_code == 200

            proxy.restore()
            # Alertmanager retries the refused delivery; now it goes through
            wait_until(
                lambda: (
                    httpx.post(post, content=payloads["card-auth-errors-payments"]).status_code
                    == 200
                ),
                what="ingestion to accept again",
            )
            wait_until(
                lambda: httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200,
                what="readiness to come back",
            )
            wait_until(
                lambda: sum(int(str(i["total_alerts"])) for i in _incidents(server.url)) == 2,
                what="the retried alert to be processed",
                alive=server,
            )
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            batches = connection.execute(text("SELECT count(*) FROM inbox_batches")).scalar_one()
            events = connection.execute(
                text("SELECT data FROM incident_events WHERE kind = 'alert_fired'")
            ).all()
    finally:
        engine.dispose()
    # nothing half-written: the refused delivery left no batch, the retry exactly one
    assert batches == 2
    fingerprints = [(json.loads(d) if isinstance(d, str) else d)["fingerprint"] for (d,) in events]
    assert len(fingerprints) == len(set(fingerprints)) == 2
