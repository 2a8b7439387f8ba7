"""One small simulated world shared by the impact unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.impact import Sources
from monitor.sources import PrometheusMetrics, SqlOperationalData
from tests.support.impact_world import SmallWorld, small_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallWorld]:
    with small_world(tmp_path_factory.mktemp("impact-world")) as found:
        yield found


@pytest.fixture
def sources(world: SmallWorld) -> Sources:
    """The world's Prometheus and operational database, as the estimators read them."""
    return Sources(
        metrics=PrometheusMetrics(world.prometheus_url, timeout_seconds=10),
        operational=SqlOperationalData.from_url(world.opdb_url),
    )
