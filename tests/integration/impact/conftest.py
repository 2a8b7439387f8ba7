"""The small simulated world, for the estimation service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.impact_world import SmallWorld, small_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallWorld]:
    with small_world(tmp_path_factory.mktemp("impact-world")) as found:
        yield found
