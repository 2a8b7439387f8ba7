"""The ``monitor`` command: help, configuration checks and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import migrate
from tests.conftest import EXAMPLE_CATALOG

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("check", "serve", "db", "demo"):
        assert command in result.output


def test_check_passes_on_the_example_catalog() -> None:
    result = runner.invoke(app, ["check", "--catalog", str(EXAMPLE_CATALOG)])
    assert result.exit_code == 0, result.output
    assert "40 components" in result.output


def test_check_lists_every_problem_of_a_broken_copy_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.yaml"
    text = EXAMPLE_CATALOG.read_text()
    text = text.replace("  - id: db-replica-eu-2\n", "  - id: db-replica-eu-1\n", 1)
    text = text.replace(
        "depends_on: [region-eu-west]\n", "depends_on: [region-eu-west, nowhere]\n", 1
    )
    broken.write_text(text)
    result = runner.invoke(app, ["check", "--catalog", str(broken)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if str(broken) in line]
    assert len(lines) >= 2
    assert any("duplicate id 'db-replica-eu-1'" in line for line in lines)
    assert any("'nowhere'" in line for line in lines)
    assert all(f"{broken}:" in line for line in lines)


def test_check_reports_a_missing_catalog_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--catalog", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml" in result.output


def test_check_reports_malformed_playbook_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(
        "id: fine\nname: Fine\ntrigger: {}\nsteps:\n  - wait: {minutes: 1}\n"
    )
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    result = runner.invoke(
        app, ["check", "--catalog", str(EXAMPLE_CATALOG), "--playbooks", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "bad.yaml" in result.output
    assert "good.yaml" not in result.output


def test_check_refuses_a_playbook_on_an_unknown_touchpoint_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "tp.yaml").write_text(
        "id: tp\nname: Tp\ntrigger:\n  touchpoints: [teleport]\nsteps:\n  - wait: {minutes: 1}\n"
    )
    result = runner.invoke(
        app, ["check", "--catalog", str(EXAMPLE_CATALOG), "--playbooks", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "tp.yaml:4 at trigger.touchpoints.0: unknown touchpoint 'teleport'" in result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    env = {"MONITOR_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    head = migrate.head_revision()
    assert f"database at revision {head}" in result.output
    assert (tmp_path / "monitor.db").exists()
    current = runner.invoke(app, ["db", "current"], env=env)
    assert f"current: {head}" in current.output


def test_a_bad_setting_is_named_and_exits_1() -> None:
    result = runner.invoke(app, ["db", "current"], env={"MONITOR_PORT": "seventy"})
    assert result.exit_code == 1
    assert "MONITOR_PORT" in result.output


def test_check_warns_of_webhook_targets_without_a_url_but_passes() -> None:
    playbooks = str(EXAMPLE_CATALOG.parent.parent / "playbooks")
    argv = ["check", "--catalog", str(EXAMPLE_CATALOG), "--playbooks", playbooks]
    bare = runner.invoke(app, argv, env={"MONITOR_WEBHOOK_URLS": "{}"})
    assert bare.exit_code == 0, bare.output
    assert "webhook target 'overdraft-fee-waiver'" in bare.output
    assert "notification sink" in bare.output
    hooks = ("customer-comms", "support-follow-up", "team-tickets", "crm-notes")
    urls = json.dumps(
        {"overdraft-fee-waiver": "https://refunds.example/hook"}
        | {name: f"https://hooks.example/{name}" for name in hooks}
    )
    configured = runner.invoke(app, argv, env={"MONITOR_WEBHOOK_URLS": urls})
    assert configured.exit_code == 0, configured.output
    assert "warning" not in configured.output


def test_check_reads_the_configured_playbooks_directory_by_default(tmp_path: Path) -> None:
    (tmp_path / "tp.yaml").write_text(
        "id: tp\nname: Tp\ntrigger:\n  touchpoints: [teleport]\nsteps:\n  - wait: {minutes: 1}\n"
    )
    result = runner.invoke(
        app,
        ["check", "--catalog", str(EXAMPLE_CATALOG)],
        env={"MONITOR_PLAYBOOKS_DIR": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert "unknown touchpoint 'teleport'" in result.output
