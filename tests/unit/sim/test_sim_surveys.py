"""The simulated customers answer surveys: a trickle of scores, lower and later after an outage."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.signals import parse_signal
from monitor.sim.generate import SimResult, generate, simulate
from monitor.sim.scenario import Scenario
from monitor.sim.surveys import is_low
from tests.unit.sim.conftest import CATALOG, write_scenario

DAY_OF_CARD_OUTAGE = """
name: card-outage-day
catalog: {catalog}
seed: 47
start: 2025-03-03T00:00:00Z
duration: 1d
customers: 50000
faults:
  - {{id: card-network-down, component: payment-network-gateway, kind: down, at: 12h,
      duration: 1h}}
"""
FAULT = "card-network-down"


@pytest.fixture(scope="module")
def outage_day(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    text = DAY_OF_CARD_OUTAGE.format(catalog=CATALOG)
    return simulate(write_scenario(tmp_path_factory.mktemp("surveys"), text))


def answers(result: SimResult) -> list[dict[str, Any]]:
    """The survey rows as records: customer, at (aware), touchpoint, kind, score, channel."""
    return [
        {
            "customer": c,
            "at": datetime.fromisoformat(at).replace(tzinfo=UTC),
            "touchpoint": tp,
            "kind": kind,
            "score": score,
            "channel": channel,
        }
        for c, at, tp, kind, score, channel in result.rows.surveys
    ]


def low_share(records: list[dict[str, Any]]) -> float:
    return sum(is_low(r["kind"], r["score"]) for r in records) / len(records)


def test_a_small_share_of_customers_who_interacted_answer_nps_or_csat(
    outage_day: SimResult,
) -> None:
    found = answers(outage_day)
    card = [r for r in found if r["touchpoint"] == "card-payments"]
    payments = sum(1 for t in outage_day.rows.transactions if t[1] == "card")
    # post-transaction surveys: 4% of interactions asked, 15% of those answer
    assert 0.003 <= len(card) / payments <= 0.012
    assert {r["kind"] for r in found} == {"nps", "csat"}
    assert all(0 <= r["score"] <= 10 for r in found if r["kind"] == "nps")
    assert all(1 <= r["score"] <= 5 for r in found if r["kind"] == "csat")
    customers = {row[0] for row in outage_day.rows.customers}
    assert {r["customer"] for r in found} <= customers
    quiet = [r for r in card if r["at"].hour < 11]
    # on a quiet morning some customers are unhappy anyway (a low score alone proves nothing)
    assert 0.03 < low_share(quiet) < 0.2


def test_customers_an_outage_hurt_score_lower_and_hours_later(outage_day: SimResult) -> None:
    fault_at = outage_day.scenario.start + timedelta(hours=12)
    cell = outage_day.truth["incidents"][FAULT]["card-payments"]
    hurt = set(cell["affected_customers"])
    found = answers(outage_day)
    after = [r for r in found if r["touchpoint"] == "card-payments" and r["at"] > fault_at]
    from_hurt = [r for r in after if r["customer"] in hurt]
    others = [r for r in after if r["customer"] not in hurt]
    assert len(from_hurt) >= 30
    assert low_share(from_hurt) > 3 * low_share(others)
    assert low_share(from_hurt) > 0.5
    delays = [(r["at"] - fault_at).total_seconds() / 3600 for r in from_hurt]
    assert min(delays) >= 0.25, "a survey is answered after the interaction, not during it"
    assert 1.5 < statistics.median(delays) < 8, "post-transaction surveys come hours later"
    scored_low = set(cell["scored_low"])
    assert scored_low
    assert scored_low <= hurt
    # the truth names those whose answer was about the failed interaction; a customer
    # hurt at noon may also score low about a later payment that worked
    assert scored_low <= {r["customer"] for r in from_hurt if is_low(r["kind"], r["score"])}


def test_the_survey_file_imports_as_signals_with_the_customer_reference(
    make_scenario: Callable[[str], Scenario], catalog_path: Path, tmp_path: Path
) -> None:
    text = DAY_OF_CARD_OUTAGE.format(catalog=catalog_path).replace("50000", "3000")
    scenario = make_scenario(text)
    manifest = generate(scenario, tmp_path / "out")
    lines = (tmp_path / "out" / "surveys.jsonl").read_text().splitlines()
    assert manifest["rows"]["surveys"] == len(lines) > 0
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for number, line in enumerate(lines):
        draft = parse_signal(
            json.loads(line),
            where=f"surveys.jsonl:{number + 1}",
            now=now,
            touchpoints=scenario.catalog.touchpoints.keys(),
            naive_is_utc=True,
        )
        assert draft.source == "survey"
        assert draft.customer is not None
        assert draft.customer.startswith("C")
        assert draft.score is not None
        assert draft.touchpoint is not None
