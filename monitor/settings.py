"""The monitor's one configuration object.

Everything configurable is here, read from ``MONITOR_*`` environment variables,
an optional ``.env``-style file named by ``MONITOR_CONFIG_FILE``, and secrets
files under ``MONITOR_SECRETS_DIR`` (one file per secret, as Docker and
Kubernetes mount them). Nothing else in the code reads the environment.
Secrets are ``SecretStr`` so that printing the settings never shows them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one monitor deployment."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_",
        extra="ignore",
        frozen=True,
        secrets_dir=None,
    )

    data_dir: Path = Field(default=Path("./var"), description="Where SQLite and exports live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset."
    )
    catalog_path: Path = Path("examples/catalog.yaml")
    playbooks_dir: Path = Path("playbooks")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    worker_enabled: bool = Field(
        default=True, description="Run the inbox worker in this process (off: accept only)."
    )
    worker_batch_size: int = Field(default=100, ge=1)
    worker_poll_seconds: float = Field(default=0.2, gt=0)
    resolve_quiet_seconds: int = Field(default=300, ge=0)
    group_window_seconds: int = Field(default=900, ge=0)
    flap_threshold: int = Field(default=4, ge=2)
    flap_window_seconds: int = Field(default=1800, ge=60)

    prometheus_url: str | None = None
    prometheus_timeout_seconds: float = Field(default=10.0, gt=0)
    prometheus_poll_seconds: int = Field(default=0, ge=0, description="0 disables the poller.")
    prometheus_alert_query: str = 'ALERTS{alertstate="firing"}'

    slack_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_base_url: str = "https://slack.com/api/"
    pseudonym_key: SecretStr | None = None
    ingest_token: SecretStr | None = None

    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _level_known(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return upper

    def sqlalchemy_url(self) -> str:
        """The database URL in force: the configured one, or SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitor.db').resolve()}"


def get_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, the config file and secrets files.

    This is the only place that looks at the process environment, and only to
    find where the config file and secrets directory are.
    """
    config_file = os.environ.get("MONITOR_CONFIG_FILE")
    secrets_dir = os.environ.get("MONITOR_SECRETS_DIR")
    extra: dict[str, Any] = {}
    if config_file:
        extra["_env_file"] = config_file
    if secrets_dir:
        extra["_secrets_dir"] = secrets_dir
    return Settings(**extra, **overrides)
