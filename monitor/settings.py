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
from typing import Any, Literal

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
    operational_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the company's operational database (read-only), for impact.",
    )
    estimate_interval_seconds: int = Field(
        default=300, ge=30, description="How often open incidents' impact is re-estimated."
    )

    slack_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_base_url: str = "https://slack.com/api/"
    notify_retry_first_seconds: float = Field(
        default=10.0, gt=0, description="Wait after a failed delivery; doubled each attempt."
    )
    notify_retry_cap_seconds: float = Field(
        default=600.0, gt=0, description="The longest wait between two delivery attempts."
    )
    slack_timeout_seconds: int = Field(
        default=10, ge=1, le=120, description="How long one Slack API call may take."
    )
    slack_edit_interval_seconds: int = Field(
        default=60, ge=0, description="At most one chat.update of a head message per interval."
    )
    notification_sink: Literal["console", "file"] = Field(
        default="console",
        description="Where Slack messages go when no Slack token is configured.",
    )
    webhook_urls: dict[str, str] = Field(
        default_factory=dict, description="Webhook targets named by playbooks (JSON object)."
    )
    webhook_signing_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    dispatch_batch_size: int = Field(default=50, ge=1)
    pseudonym_key: SecretStr | None = None
    signal_text_retention_days: int = Field(
        default=30, ge=1, description="Days the free text of customer signals is kept."
    )
    signal_evaluate_seconds: int = Field(
        default=60, ge=1, description="How often signals are joined and tested for spikes."
    )
    signal_spike_window_minutes: int = Field(
        default=30, ge=5, le=720, description="Window whose complaints are tested for a spike."
    )
    signal_spike_alpha: float = Field(
        default=1e-5, gt=0, lt=1, description="p-value below which a window is a spike."
    )
    signal_overdispersion: float = Field(
        default=0.4, ge=0, description="Day-to-day swing of complaint rates beyond Poisson."
    )
    signal_spike_min_customers: int = Field(
        default=3, ge=1, description="Different customers a spike needs (one angry one is not)."
    )
    signal_baseline_weeks: int = Field(
        default=4, ge=0, le=52, description="Past weeks whose same hours give the usual rate."
    )
    signal_floor_per_hour: float = Field(
        default=0.1, gt=0, description="Prior complaint rate per touchpoint and hour."
    )
    signal_join_before_minutes: int = Field(
        default=30, ge=0, description="Signals this long before an incident opened join it."
    )
    signal_join_after_minutes: int = Field(
        default=120, ge=0, description="Signals this long after an incident resolved join it."
    )
    signal_resolve_quiet_minutes: int = Field(
        default=120,
        ge=1,
        description="A customer-reported incident with no alert resolves after this calm.",
    )
    signal_followup_days: int = Field(
        default=14, ge=0, description="A low score this soon after an incident asks a follow-up."
    )
    ingest_token: SecretStr | None = None
    ingest_rate_per_second: float = Field(
        default=200.0,
        ge=0,
        description="Ingest requests per second per credential (token, or client address "
        "without auth), refilling its burst; 0 turns the limit off.",
    )
    ingest_burst: int = Field(
        default=400, ge=1, description="Ingest requests a credential may send at once."
    )
    require_auth: bool = Field(
        default=True,
        description="Require bearer tokens; false only for a demo bound to loopback.",
    )
    status_cache_seconds: float = Field(default=2.0, ge=0)
    public_show_counts: bool = Field(
        default=False, description="Show affected-customer counts on the public status."
    )

    subscription_debounce_seconds: int = Field(
        default=300,
        ge=0,
        description="A touchpoint state must hold this long before subscribers hear of it.",
    )
    subscription_max_per_hour: int = Field(
        default=6, ge=1, description="Notices per subscriber per hour; the rest go as one digest."
    )
    subscription_requests_per_hour: int = Field(
        default=10, ge=1, description="Subscription requests accepted per client IP per hour."
    )
    subscription_allow_private_targets: bool = Field(
        default=False,
        description="Allow webhooks to loopback and private addresses (tests, closed networks).",
    )
    subscription_secret_key: SecretStr | None = Field(
        default=None,
        description="Key from which subscribers' tokens and signing secrets are derived.",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "status@localhost"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

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
