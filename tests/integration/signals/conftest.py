"""The monitor's API on the test database, fed the simulated company's complaints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.sim.generate import simulate
from monitor.sim.scenario import load_scenario
from tests.conftest import EXAMPLE_CATALOG
from tests.integration.pipeline.conftest import Clock, Harness, TestClient, settings_for

CARD_OUTAGE = """
name: card-outage-afternoon
catalog: {catalog}
seed: 47
start: 2025-03-03T10:00:00Z
duration: 5h
customers: 50000
faults:
  - id: card-network-down
    component: payment-network-gateway
    kind: down
    at: 2h
    duration: 1h
"""
SLOW_DATABASE = """
name: slow-database-morning
catalog: {catalog}
seed: 43
start: 2025-03-03T08:00:00Z
duration: 5h
customers: 50000
faults:
  - id: db-slow
    component: db-primary-eu
    kind: latency
    latency_ms: 16000
    ramp: true
    at: 2h
    duration: 3h
"""


@dataclass(frozen=True)
class Complaints:
    """A simulated history's contact-centre log, survey answers and when its fault began."""

    fault_at: datetime
    records: tuple[dict[str, Any], ...]
    """``{"customer", "time" (aware), "channel", "text"}``, oldest first."""
    answers: tuple[dict[str, Any], ...] = ()
    """``{"customer", "time", "channel", "touchpoint", "score", "score_kind"}``, oldest first."""
    truth: dict[str, Any] | None = None
    """The fault's truth cells by touchpoint."""


def _simulate(text: str, directory: Path) -> Complaints:
    path = directory / "scenario.yaml"
    path.write_text(text.format(catalog=EXAMPLE_CATALOG))
    scenario = load_scenario(path)
    result = simulate(scenario)
    fault = scenario.spec.faults[0]
    records = tuple(
        {
            "customer": customer,
            "time": datetime.fromisoformat(at).replace(tzinfo=UTC),
            "channel": channel,
            "text": text,
        }
        for customer, at, channel, text in result.rows.complaints
    )
    answers = tuple(
        {
            "customer": customer,
            "time": datetime.fromisoformat(at).replace(tzinfo=UTC),
            "channel": channel,
            "touchpoint": touchpoint,
            "score": score,
            "score_kind": kind,
        }
        for customer, at, touchpoint, kind, score, channel in result.rows.surveys
    )
    truth = result.truth["incidents"][fault.id]
    return Complaints(scenario.start + fault.at, records, answers, truth)


@pytest.fixture(scope="session")
def card_outage(tmp_path_factory: pytest.TempPathFactory) -> Complaints:
    return _simulate(CARD_OUTAGE, tmp_path_factory.mktemp("card-outage"))


@pytest.fixture(scope="session")
def slow_database(tmp_path_factory: pytest.TempPathFactory) -> Complaints:
    return _simulate(SLOW_DATABASE, tmp_path_factory.mktemp("slow-database"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_harness(
    database_url: str, tmp_path: Path, clock: Clock
) -> Iterator[Callable[..., Harness]]:
    made: list[tuple[Any, TestClient]] = []

    def make(**settings: Any) -> Harness:
        runtime = build_runtime(settings_for(database_url, tmp_path, **settings), clock=clock)
        client = TestClient(create_app(runtime, start_worker=False), raise_server_exceptions=False)
        client.__enter__()
        made.append((runtime, client))
        return Harness(runtime, client, clock)

    yield make
    for runtime, client in made:
        client.__exit__(None, None, None)
        runtime.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()


def post_signals(harness: Harness, signals: list[dict[str, Any]]) -> Any:
    """Post signals; they must all be accepted."""
    response = harness.client.post("/api/v1/signals", json={"signals": signals})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(signals)
    return response.json()


def watching_since(harness: Harness, at: datetime) -> None:
    """The monitor has been running (and collecting signals) since ``at``."""
    harness.clock.now = at
    harness.process()


@dataclass
class Replay:
    """Feeds complaints to the API as their time comes, minute by minute."""

    harness: Harness
    complaints: Complaints
    shift: timedelta
    """Added to the simulated times, so the fault begins when the test wants it to."""
    posted: int = 0
    surveys: bool = False
    """Also post the survey answers (complaints and answers in time order)."""
    step: timedelta = timedelta(minutes=1)
    records: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        merged = [*self.complaints.records, *(self.complaints.answers if self.surveys else ())]
        self.records = sorted(merged, key=lambda r: r["time"])

    def until(self, end: datetime, *, on_minute: Callable[[], None] | None = None) -> None:
        records = self.records
        while self.harness.clock.now < end:
            self.harness.clock.now += self.step
            due = []
            while (
                self.posted < len(records)
                and records[self.posted]["time"] + self.shift <= self.harness.clock.now
            ):
                due.append(records[self.posted])
                self.posted += 1
            if due:
                post_signals(self.harness, [self._signal(r) for r in due])
            self.harness.process()
            if on_minute is not None:
                on_minute()

    def _signal(self, record: dict[str, Any]) -> dict[str, Any]:
        if "score" in record:
            return {
                "source": "survey",
                **record,
                "time": (record["time"] + self.shift).isoformat(),
            }
        return {
            "source": "contact-centre",
            "time": (record["time"] + self.shift).isoformat(),
            "channel": record["channel"],
            "text": record["text"],
            "customer": record["customer"],
        }
