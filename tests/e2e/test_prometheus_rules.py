"""The alerting rules shipped for Prometheus are valid and fire when they should."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO
from tests.support.processes import require_program

pytestmark = pytest.mark.slow
RULES = REPO / "docker" / "prometheus"


def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    promtool = require_program("promtool")
    check = subprocess.run(
        [promtool, "check", "rules", str(RULES / "rules.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 10 rules found" in check.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", "rules_test.yml"],
        cwd=RULES,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout
