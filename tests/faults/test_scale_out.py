"""Two ``monitor serve`` processes on one PostgreSQL: both accept, one leads, the other takes over.

Both take webhooks; only the holder of the advisory lock runs the worker and
the scheduler, so every alert is processed once, whichever process accepted
it. Killing the leader with SIGKILL hands the lock, and the inbox, to the
other: what was accepted before and after the kill is processed exactly once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import postgres_url
from tests.support.monitor_process import REPO, MonitorProcess, start_monitor, wait_until
from tests.support.payloads import storm_webhook
from tests.support.slack_server import slack_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_url() is None, reason="MONITOR_TEST_POSTGRES_URL is not set"),
]


def _fired(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM incident_events WHERE kind = 'alert_fired'")
            ).all()
    finally:
        engine.dispose()
    return Counter(
        str((json.loads(d) if isinstance(d, str) else d)["fingerprint"]) for (d,) in rows
    )


def _post(server: MonitorProcess, n: int, accepted: set[str]) -> None:
    fingerprints, body = storm_webhook(n, alerts=3)
    response = httpx.post(f"{server.url}/api/v1/ingest/alertmanager", content=body, timeout=30)
    assert response.status_code == 200, response.text
    accepted.update(fingerprints)


def test_two_servers_share_the_inbox_and_the_survivor_takes_over_a_killed_leader(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share one PostgreSQL; SQLite is single-host")
    accepted: set[str] = set()
    with slack_server() as slack:
        env = {
            "MONITOR_PLAYBOOKS_DIR": str(REPO / "playbooks"),
            "MONITOR_SLACK_TOKEN": "xoxb-scale-out",
            "MONITOR_SLACK_BASE_URL": slack.base_url,
            "MONITOR_PSEUDONYM_KEY": "shared-by-every-process-of-the-deployment",
        }
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = start_monitor(database_url=database_url, data_dir=tmp_path / "a", extra=env)
        second: MonitorProcess | None = None
        try:
            _post(first, 0, accepted)
            wait_until(lambda: set(_fired(database_url)) == accepted, what="the first leader")
            second = start_monitor(database_url=database_url, data_dir=tmp_path / "b", extra=env)
            for n in range(1, 21):
                _post(first if n % 2 else second, n, accepted)
            wait_until(
                lambda: set(_fired(database_url)) == accepted,
                what="both servers' deliveries to be processed",
                alive=second,
            )
            first.kill()
            killed = time.monotonic()
            for n in range(21, 31):
                _post(second, n, accepted)
            wait_until(
                lambda: set(_fired(database_url)) == accepted,
                timeout=60,
                what="the survivor to take over",
                alive=second,
            )
            took_over = time.monotonic() - killed
        finally:
            first.kill()
            if second is not None:
                second.kill()
    fired = _fired(database_url)
    heads = [m for messages in slack.messages.values() for m in messages if not m.get("thread_ts")]
    keys = Counter(
        str(((m.get("metadata") or {}).get("event_payload") or {}).get("key")) for m in heads
    )
    print(
        f"\n{len(accepted)} alerts through two servers, the leader killed:"
        f" survivor took over in {took_over:.1f}s; {len(heads)} head messages"
    )
    assert set(fired) == accepted
    assert max(fired.values()) == 1, "an alert was processed twice"
    assert heads
    assert max(keys.values()) == 1, "a Slack head message was posted twice"
