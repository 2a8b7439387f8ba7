"""Same seed, same world, byte for byte; another seed, another world."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from monitor.sim.generate import generate
from monitor.sim.scenario import Scenario

TEXT = """
name: tiny
catalog: {catalog}
seed: 9
start: 2025-03-07T00:00:00Z
duration: 1d
customers: 600
faults:
  - {{id: idp-errors, component: idp, kind: error_ratio, error_ratio: 0.5, at: 9h, duration: 1h}}
"""


def _digest(out: Path) -> dict[str, str]:
    found = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix != ".sqlite"
    }
    conn = sqlite3.connect(out / "opdb.sqlite")
    dump = "\n".join(conn.iterdump())
    conn.close()
    found["opdb.sqlite(dump)"] = hashlib.sha256(dump.encode()).hexdigest()
    return found


def test_same_seed_gives_identical_files(
    make_scenario: Callable[[str], Scenario], catalog_path: Path, tmp_path: Path
) -> None:
    scenario = make_scenario(TEXT.format(catalog=catalog_path))
    generate(scenario, tmp_path / "a")
    generate(scenario, tmp_path / "b")
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b
    assert (tmp_path / "a" / "opdb.sqlite").read_bytes() == (
        tmp_path / "b" / "opdb.sqlite"
    ).read_bytes()


def test_another_seed_gives_another_world(
    make_scenario: Callable[[str], Scenario], catalog_path: Path, tmp_path: Path
) -> None:
    scenario = make_scenario(TEXT.format(catalog=catalog_path))
    generate(scenario, tmp_path / "a")
    generate(scenario.with_changes(seed=10), tmp_path / "c")
    assert _digest(tmp_path / "a")["truth.json"] != _digest(tmp_path / "c")["truth.json"]
