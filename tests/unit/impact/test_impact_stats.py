"""Poisson bounds, weekly baselines and tiles: the arithmetic under every interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.impact.ports import Window
from monitor.impact.stats import Quantity, poisson_bounds, weekly_baseline
from monitor.impact.tiles import Grid, query_range_seconds


def test_poisson_bounds_match_the_exact_garwood_interval() -> None:
    assert poisson_bounds(0) == pytest.approx((0.0, 2.9957), abs=1e-3)
    assert poisson_bounds(10) == pytest.approx((5.4254, 16.9622), abs=1e-3)


def test_poisson_bounds_of_large_counts_are_about_1645_root_k() -> None:
    low, high = poisson_bounds(10_000)
    assert low == pytest.approx(10_000 - 164.5, abs=0.5)
    assert high == pytest.approx(10_000 + 164.5, abs=0.5)


@given(st.integers(min_value=0, max_value=2000))
def test_poisson_bounds_contain_the_count_and_widen_relatively_for_small_counts(k: int) -> None:
    low, high = poisson_bounds(k)
    assert low <= k <= high
    if k >= 4:
        big_low, big_high = poisson_bounds(k * 4)
        assert (big_high - big_low) / (4 * k) < (high - low) / k


def test_baseline_ignores_one_bad_week() -> None:
    base = weekly_baseline([1000, 1030, 980, 120])
    assert base is not None
    assert 980 <= base.expected <= 1030
    assert base.weeks == 4
    assert base.sd < 150


def test_baseline_of_one_week_keeps_poisson_noise_and_says_so() -> None:
    base = weekly_baseline([400])
    assert base is not None
    assert base.expected == 400
    assert base.sd >= 20
    assert base.method == "one week"
    assert weekly_baseline([]) is None


def test_quantities_add_their_noise_in_quadrature() -> None:
    total = Quantity(100, 90, 110).plus(Quantity(100, 90, 110))
    assert total.value == 200
    assert total.high - total.value == pytest.approx(14.142, abs=1e-3)
    assert Quantity(-3, -5, 2).clamp().interval().low == 0


def test_query_range_is_read_from_the_promql() -> None:
    assert query_range_seconds('sum(rate(x{a="1"}[5m]))') == 300
    assert query_range_seconds("sum(increase(x[90s]))") == 90
    assert query_range_seconds("sum(x)") is None
    assert query_range_seconds("rate(x[1m]) / rate(y[5m])") is None


def test_grid_tiles_back_from_the_end_and_trims_the_oldest_tile() -> None:
    end = datetime(2025, 3, 10, 9, 12, tzinfo=UTC)
    grid = Grid.over(Window(end - timedelta(minutes=12), end), 300)
    assert [e - grid.ends[-1] for e in grid.ends] == [-600, -300, 0]
    assert grid.fractions == pytest.approx((0.4, 1.0, 1.0))
    assert grid.owner(grid.ends[1] - 1) == 1
