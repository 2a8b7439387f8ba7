"""``monitor playbooks dry-run``: what the playbooks would do for an incident, sending nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import EXAMPLE_CATALOG, REPO
from tests.integration.comms.conftest import CommsHarness
from tests.integration.pipeline.conftest import event


def test_dry_run_lists_the_planned_steps_and_sends_nothing(
    comms: CommsHarness, database_url: str, tmp_path: Path
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=5)
    comms.clock.now = started + timedelta(minutes=1)
    comms.post_events([event("LedgerDown", started=started, component="ledger")])
    comms.runtime.pipeline.process_pending(now=comms.clock())  # planned, nothing sent yet
    (incident,) = comms.incidents()
    calls = len(comms.slack.calls)
    env = {
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_DATA_DIR": str(tmp_path),
        "MONITOR_CATALOG_PATH": str(EXAMPLE_CATALOG),
        "MONITOR_PLAYBOOKS_DIR": str(REPO / "playbooks"),
    }
    result = CliRunner().invoke(
        app, ["playbooks", "dry-run", "--incident", str(incident["id"])], env=env
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("slack_post #banking" in line for line in lines), result.output
    assert any("page #banking-oncall" in line for line in lines), result.output
    assert len(comms.slack.calls) == calls  # a dry run sends nothing
    missing = CliRunner().invoke(app, ["playbooks", "dry-run", "--incident", "999"], env=env)
    assert missing.exit_code == 1
