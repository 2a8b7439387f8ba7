"""Settings come from MONITOR_* variables, a config file and secret files; secrets never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.settings import get_settings


def test_secret_files_are_read_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "monitor_slack_token").write_text("xoxb-very-secret")
    monkeypatch.setenv("MONITOR_SECRETS_DIR", str(tmp_path))
    settings = get_settings()
    assert settings.slack_token is not None
    assert settings.slack_token.get_secret_value() == "xoxb-very-secret"
    assert "xoxb-very-secret" not in repr(settings)
    assert "xoxb-very-secret" not in str(settings.model_dump())


def test_a_config_file_and_the_environment_combine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "monitor.env"
    config.write_text("MONITOR_PORT=9999\nMONITOR_RESOLVE_QUIET_SECONDS=60\n")
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(config))
    monkeypatch.setenv("MONITOR_RESOLVE_QUIET_SECONDS", "120")
    settings = get_settings()
    assert settings.port == 9999
    assert settings.resolve_quiet_seconds == 120  # the environment wins over the file


def test_sqlite_under_the_data_dir_is_the_default(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path)
    assert settings.sqlalchemy_url() == f"sqlite:///{tmp_path.resolve() / 'monitor.db'}"


def test_bad_values_are_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_PORT", "seventy")
    with pytest.raises(ValueError, match="port"):
        get_settings()
