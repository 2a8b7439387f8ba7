"""Bad input is named in ``quality`` and never turns into a zero."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from monitor.catalog import load_catalog
from monitor.cli import app
from monitor.domain import EstimatorSpec, Touchpoint
from monitor.impact import QueryError, Sources, Window, estimate_touchpoint
from monitor.sources import SqlOperationalData
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)
BY_CHANNEL = (
    "SELECT COUNT(DISTINCT customer_id) FROM transactions WHERE kind = 'transfer' "
    "AND created_at >= :start AND created_at < :end AND status = 'failed' GROUP BY channel"
)


def _only(touchpoint: str, *specs: EstimatorSpec) -> Touchpoint:
    return replace(CATALOG.touchpoints[touchpoint], estimators=specs)


def test_several_rows_where_one_count_was_expected_are_reported_and_the_counters_used(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("login-errors")
    tp = CATALOG.touchpoints["transfers"]
    grouped = EstimatorSpec("operational_sql", queries={"failed_customers": BY_CHANNEL})
    impact = estimate_touchpoint(
        CATALOG,
        touchpoint=_only("transfers", grouped, tp.estimators[1]),
        window=Window(start, end),
        sources=sources,
    )
    [note] = [q for q in impact.estimate.quality if "rows where one was expected" in q]
    assert re.match(r"operational_sql: query returned \d+ rows where one was expected", note)
    assert " ".join(BY_CHANNEL.split()) in note
    assert [m.split(":")[0] for m in impact.estimate.methods] == ["prometheus_traffic"]
    affected = impact.estimate.affected_customers
    truth = world.affected("login-errors", "transfers")
    assert affected is not None
    assert affected.low <= truth <= affected.high


def test_an_optional_statement_that_fails_is_left_out_with_its_text(
    world: SmallWorld, sources: Sources
) -> None:
    start, end = world.fault("login-errors")
    spec = CATALOG.touchpoints["transfers"].estimators[0]
    broken = EstimatorSpec(
        "operational_sql",
        queries={**spec.queries, "failed_interactions": BY_CHANNEL},
        params=spec.params,
    )
    impact = estimate_touchpoint(
        CATALOG, touchpoint=_only("transfers", broken), window=Window(start, end), sources=sources
    )
    assert any(" ".join(BY_CHANNEL.split()) in q for q in impact.estimate.quality)
    affected = impact.estimate.affected_customers
    truth = world.affected("login-errors", "transfers")
    assert affected is not None
    assert affected.low <= truth <= affected.high


def test_the_sql_source_refuses_several_rows_for_a_scalar(world: SmallWorld) -> None:
    data = SqlOperationalData.from_url(world.opdb_url)
    with pytest.raises(QueryError, match="rows where one was expected"):
        data.scalar("SELECT segment, COUNT(*) FROM customers GROUP BY segment", {})


def test_the_cli_prints_null_not_zero_when_no_method_answers(world: SmallWorld) -> None:
    start, end = world.fault("login-errors")
    result = CliRunner().invoke(
        app,
        [
            "impact", "--catalog", str(EXAMPLE_CATALOG), "--start", start.isoformat(),
            "--end", end.isoformat(), "--prometheus", "http://127.0.0.1:9",
            "--odata-url", world.opdb_url, "--touchpoint", "mobile-login", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [tp] = json.loads(result.stdout)["touchpoints"]
    assert tp["affected_customers"] is None
    assert tp["failed_interactions"] is None
    assert any("no method could estimate affected customers" in q for q in tp["quality"])
    assert any("Prometheus unreachable" in q for q in tp["quality"])
