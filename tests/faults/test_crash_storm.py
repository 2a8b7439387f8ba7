"""SIGKILL of the real server at random moments during an alert storm loses and repeats nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import crash_storm

pytestmark = pytest.mark.slow


def test_kill_9_during_a_storm_loses_no_alert_and_sends_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    figures = crash_storm(rounds=3, database_url=database_url, data_dir=tmp_path, seed=7)
    print("\n".join(["crash storm:", *figures.lines()]))
    assert figures.rounds == 3
    assert figures.alerts_accepted > 0
    assert figures.slack_messages > 0
    assert (figures.lost, figures.duplicated, figures.stuck) == (0, 0, 0)
