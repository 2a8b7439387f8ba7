"""Crash storm: ``kill -9`` of ``monitor serve`` at random moments while alerts pour in.

Run as ``python -m bench.faults [--rounds N] [--database-url URL] [--seed S]``.

Each round starts the real server (worker on, the shipped playbooks, Slack
on a local Slack Web API server), posts alert batches as fast as it answers,
and SIGKILLs it after a random delay. Batches that got no answer are posted
again in the next round, as Alertmanager retries them. At the end one last
server drains everything, and the store and the Slack server are checked:

- lost: an accepted alert (answered 200) with no ``alert_fired`` event;
- duplicated: an alert fired twice, a Slack message posted twice (same
  idempotency key in its metadata) or a playbook step recorded as done twice;
- stuck: a notification or timer still due in the past once the server idles.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.support.monitor_process import REPO, MonitorProcess, start_monitor, wait_until
from tests.support.payloads import storm_webhook
from tests.support.slack_server import SlackServer, slack_server

HOOKS = ("overdraft-fee-waiver", "customer-comms", "status-page")
ALERTS_PER_BATCH = 4


@dataclass
class CrashFigures:
    """What a crash storm did and found."""

    rounds: int = 0
    kills_mid_request: int = 0
    batches_posted: int = 0
    batches_retried: int = 0
    alerts_accepted: int = 0
    lost: int = 0
    duplicated_alerts: int = 0
    duplicated_slack: int = 0
    duplicated_steps: int = 0
    stuck: int = 0
    slack_messages: int = 0
    incidents: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def duplicated(self) -> int:
        """Every kind of repetition together."""
        return self.duplicated_alerts + self.duplicated_slack + self.duplicated_steps

    def lines(self) -> list[str]:
        """The figures as printable lines."""
        return [
            f"rounds: {self.rounds} (killed mid-request {self.kills_mid_request})",
            f"alerts: {self.alerts_accepted} accepted in {self.batches_posted} posts"
            f" ({self.batches_retried} re-posted after a kill)",
            f"incidents: {self.incidents}, slack messages: {self.slack_messages}",
            f"lost: {self.lost}",
            f"duplicated: {self.duplicated} (alerts {self.duplicated_alerts},"
            f" slack {self.duplicated_slack}, playbook steps {self.duplicated_steps})",
            f"stuck: {self.stuck}",
            f"seconds: {self.seconds:.1f}",
        ]


def _batches(start: int) -> Iterator[tuple[list[str], bytes]]:
    """Endless distinct webhook bodies: (fingerprints, body)."""
    fired = datetime.now(UTC) - timedelta(minutes=1)
    n = start
    while True:
        yield storm_webhook(n, alerts=ALERTS_PER_BATCH, fired=fired)
        n += 1


class Storm:
    """Posts batches to whatever server is current; unanswered ones are posted again later."""

    def __init__(self, figures: CrashFigures) -> None:
        self.figures = figures
        self.accepted: set[str] = set()
        self.unanswered: list[tuple[list[str], bytes]] = []
        self._fresh = _batches(0)

    def run(self, url: str, stop: threading.Event, *, fresh: bool = True) -> None:
        """Post until ``stop`` is set or the server stops answering (or, not ``fresh``,
        until every unanswered batch is in)."""
        with httpx.Client(timeout=10, trust_env=False) as client:
            while not stop.is_set() and (fresh or self.unanswered):
                retried = bool(self.unanswered)
                fingerprints, body = self.unanswered.pop(0) if retried else next(self._fresh)
                try:
                    response = client.post(f"{url}/api/v1/ingest/alertmanager", content=body)
                except httpx.HTTPError:
                    self.unanswered.insert(0, (fingerprints, body))
                    self.figures.kills_mid_request += 1
                    return
                self.figures.batches_posted += 1
                self.figures.batches_retried += int(retried)
                if response.status_code != 200:
                    self.unanswered.insert(0, (fingerprints, body))
                    continue
                self.accepted.update(fingerprints)


def _env(slack: SlackServer) -> dict[str, str]:
    return {
        "MONITOR_PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "MONITOR_SLACK_TOKEN": "xoxb-crash-storm",
        "MONITOR_SLACK_BASE_URL": slack.base_url,
        "MONITOR_WEBHOOK_URLS": json.dumps({name: slack.hook_url(name) for name in HOOKS}),
        "MONITOR_SLACK_EDIT_INTERVAL_SECONDS": "0",
    }


def crash_storm(
    *, rounds: int, database_url: str, data_dir: Path, seed: int = 0, max_kill_after: float = 1.5
) -> CrashFigures:
    """Run ``rounds`` kill -9 rounds and the final drain; return what was counted."""
    rng = random.Random(seed)
    figures = CrashFigures()
    storm = Storm(figures)
    began = time.monotonic()
    with slack_server() as slack:
        env = _env(slack)
        for _ in range(rounds):
            server = start_monitor(database_url=database_url, data_dir=data_dir, extra=env)
            stop = threading.Event()
            poster = threading.Thread(target=storm.run, args=(server.url, stop), daemon=True)
            poster.start()
            time.sleep(rng.uniform(0.05, max_kill_after))
            server.kill()
            stop.set()
            poster.join(15)
            figures.rounds += 1
        server = start_monitor(database_url=database_url, data_dir=data_dir, extra=env)
        try:
            storm.run(server.url, threading.Event(), fresh=False)
            _settle(server, database_url)
            _count(figures, storm, slack, database_url)
        finally:
            server.kill()
    figures.seconds = time.monotonic() - began
    return figures


def _settle(server: MonitorProcess, database_url: str) -> None:
    """Wait until the inbox is empty and no notification is overdue."""

    def idle() -> bool:
        metrics = httpx.get(f"{server.url}/metrics", timeout=5).text
        return "monitor_inbox_backlog 0.0" in metrics and _overdue(database_url) == 0

    wait_until(idle, timeout=120, alive=server, what="the inbox and outbox to drain")


def _overdue(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT status, due_at, claimed_until FROM outbox WHERE status IN "
                    "('pending', 'sending')"
                )
            ).all()
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    late = 0
    for status, due_at, claimed_until in rows:
        moment = claimed_until if status == "sending" else due_at
        moment = _aware(moment)
        if moment is not None and moment < now - timedelta(seconds=2):
            late += 1
    return late


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _count(figures: CrashFigures, storm: Storm, slack: SlackServer, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            events = connection.execute(
                text("SELECT kind, summary, data FROM incident_events")
            ).all()
            figures.incidents = int(
                connection.execute(text("SELECT count(*) FROM incidents")).scalar_one()
            )
    finally:
        engine.dispose()
    fired: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    for kind, summary, data in events:
        payload = json.loads(data) if isinstance(data, str) else data
        if kind == "alert_fired":
            fired[str(payload.get("fingerprint"))] += 1
        elif (
            kind in ("message_sent", "playbook_step")
            and payload.get("key")
            and "failed" not in summary
        ):
            steps[str(payload["key"])] += 1
    posted: Counter[str] = Counter()
    for messages in slack.messages.values():
        for message in messages:
            meta = message.get("metadata") or {}
            key = (meta.get("event_payload") or {}).get("key")
            if key:
                posted[str(key)] += 1
    figures.alerts_accepted = len(storm.accepted)
    figures.lost = len(storm.accepted - set(fired))
    figures.duplicated_alerts = sum(n - 1 for n in fired.values() if n > 1)
    figures.duplicated_slack = sum(n - 1 for n in posted.values() if n > 1)
    figures.duplicated_steps = sum(n - 1 for n in steps.values() if n > 1)
    figures.slack_messages = sum(posted.values())
    figures.stuck = _overdue(database_url)


def main() -> None:
    """Command line entry point; prints the figures, exits 1 when anything was lost or doubled."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-faults-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'monitor.db'}"
        figures = crash_storm(
            rounds=args.rounds, database_url=url, data_dir=Path(tmp), seed=args.seed
        )
    for line in figures.lines():
        print(line)
    if figures.lost or figures.duplicated or figures.stuck:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
