"""Incidents shorter than the catalog's ``[5m]`` ranges are read through tiles that fit them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.catalog import load_catalog
from monitor.impact import Sources, Window, estimate_touchpoint
from monitor.impact.tiles import fit_tiles, query_range_seconds, with_range
from monitor.sources import PrometheusMetrics, SqlOperationalData
from tests.conftest import EXAMPLE_CATALOG
from tests.support.impact_world import SmallWorld

CATALOG = load_catalog(EXAMPLE_CATALOG)
T = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes", "tile"),
    [(3, 180), (5, 300), (40, 300), (42, 280), (7, 210), (1, 120), (300, 300)],
)
def test_tiles_fit_the_window_without_exceeding_the_query_range(minutes: int, tile: int) -> None:
    window = Window(T, T + timedelta(minutes=minutes))
    assert fit_tiles(window, 300) == tile
    assert fit_tiles(window, 60) == 60  # a query whose range is already short keeps it


def test_the_range_is_rewritten_to_the_tile_but_subqueries_are_left_alone() -> None:
    query = 'sum(rate(x{a="1"}[5m])) / sum(rate(y[5m]))'
    assert with_range(query, 180) == 'sum(rate(x{a="1"}[180s])) / sum(rate(y[180s]))'
    assert query_range_seconds(with_range(query, 180)) == 180
    assert with_range("sum(max_over_time(rate(x[1m])[5m:1m]))", 180).endswith("[5m:1m]))")
    assert with_range("sum(x)", 180) == "sum(x)"


def test_a_three_minute_outage_counts_every_failed_interaction(world: SmallWorld) -> None:
    start, end = world.fault("login-blip")
    assert end - start == timedelta(minutes=3)
    sources = Sources(
        metrics=PrometheusMetrics(world.prometheus_url, timeout_seconds=10),
        operational=SqlOperationalData.from_url(world.opdb_url),
    )
    cells = world.truth["incidents"]["login-blip"]
    true_failed = estimated_failed = 0
    for tp, cell in cells.items():
        impact = estimate_touchpoint(
            CATALOG,
            touchpoint=CATALOG.touchpoints[tp],
            window=Window(start, end),
            sources=sources,
        )
        affected, failed = impact.estimate.affected_customers, impact.estimate.failed_interactions
        assert affected is not None
        assert failed is not None
        assert affected.low <= len(cell["affected_customers"]) <= affected.high, tp
        assert failed.low <= cell["failed_interactions"] <= failed.high, tp
        true_failed += cell["failed_interactions"]
        estimated_failed += failed.estimate
    # one 5-minute tile would have kept only the 3/5 of it inside the window
    assert true_failed >= 20
    assert abs(estimated_failed - true_failed) <= 0.1 * true_failed
