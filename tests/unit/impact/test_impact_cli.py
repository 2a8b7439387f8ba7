"""``monitor impact``: the JSON contract and clear refusals of bad arguments."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

runner = CliRunner()


def _args(world: SmallWorld, start: str, end: str, *extra: str) -> list[str]:
    return [
        "impact", "--catalog", str(EXAMPLE_CATALOG), "--start", start, "--end", end,
        "--prometheus", world.prometheus_url, "--odata-url", world.opdb_url, *extra,
    ]  # fmt: skip


def test_json_output_follows_the_contract(world: SmallWorld) -> None:
    start, end = world.fault("card-auth-down")
    result = runner.invoke(
        app,
        _args(world, start.isoformat(), end.isoformat(), "--touchpoint", "card-payments", "--json"),
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"start", "end", "touchpoints"}
    [tp] = doc["touchpoints"]
    assert set(tp) == {
        "id", "affected_customers", "failed_interactions",
        "exposed_customers", "methods", "quality",
    }  # fmt: skip
    assert tp["id"] == "card-payments"
    assert set(tp["affected_customers"]) == {"estimate", "low", "high", "level"}
    assert tp["affected_customers"]["level"] == 0.9
    assert tp["exposed_customers"] is None
    truth = world.affected("card-auth-down", "card-payments")
    assert tp["affected_customers"]["low"] <= truth <= tp["affected_customers"]["high"]


def test_bad_arguments_exit_2_with_a_message(world: SmallWorld) -> None:
    cases = [
        (("2025-03-17T10:00:00Z", "2025-03-17T09:00:00Z"), "--end must be after --start"),
        (("yesterday", "2025-03-17T09:00:00Z"), "not an ISO 8601 time"),
        (("2025-03-17T08:00:00Z", "2025-03-17T09:00:00Z", "--touchpoint", "nope"), "nope"),
    ]
    for (start, end, *extra), message in cases:
        result = runner.invoke(app, _args(world, start, end, *extra, "--json"))
        assert result.exit_code == 2, result.output
        assert message in result.output
