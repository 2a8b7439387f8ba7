"""Small simulated worlds shared by the simulation tests (generated once per module)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.sim.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "examples" / "catalog.yaml"

SMALL_WORLD = f"""
name: small-world
catalog: {CATALOG}
seed: 3
start: 2025-03-24T00:00:00Z
duration: 2d
customers: 2500
faults:
  - {{id: card-network-down, component: payment-network-gateway, kind: down, at: 12h, duration: 1h}}
  - {{id: card-auth-down, component: card-auth, kind: down, at: 17h, duration: 30m}}
  - {{id: ledger-errors, component: ledger, kind: error_ratio, error_ratio: 0.6,
      at: 10h, duration: 3h}}
  - {{id: exporter-fails, component: bank-file-exporter, kind: batch_failure,
      at: 19h, duration: 13h}}
  - {{id: checkin-slow, component: checkin-svc, kind: latency, latency_ms: 20000,
      at: 1d6h, duration: 2h}}
  - {{id: dcs-down, component: departure-control, kind: down, at: 1d9h, duration: 2h}}
  - {{id: central-cut, component: net-eu-central, kind: region_cut, at: 1d14h, duration: 1h}}
"""


def write_scenario(tmp: Path, text: str = SMALL_WORLD) -> Scenario:
    """Write a scenario file and load it."""
    path = tmp / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture
def make_scenario(tmp_path: Path) -> Callable[[str], Scenario]:
    """Write scenario text into the test's directory and load it."""
    return lambda text: write_scenario(tmp_path, text)


@pytest.fixture
def catalog_path() -> Path:
    """The example catalog."""
    return CATALOG


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    """The small world, generated into a directory."""
    from monitor.sim.generate import generate

    base = tmp_path_factory.mktemp("world")
    scenario = write_scenario(base)
    generate(scenario, base / "out")
    return scenario, base / "out"
