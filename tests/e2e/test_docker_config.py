"""docker/ is valid for Compose, Prometheus and Alertmanager, and runs the files the tests check.

No Docker engine is needed: ``docker compose config`` (or Debian's
``docker-compose config``, 1.29) only reads and resolves the compose file. Its
rendered output is then compared with ``docker/prometheus.yml``,
``docker/alertmanager.yml``, the Dockerfile and the monitor's settings, so that a
renamed service, port, secret or file breaks a test rather than a deployment.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from monitor.settings import Settings
from tests.conftest import REPO
from tests.support.processes import require_program

pytestmark = pytest.mark.slow

DOCKER = REPO / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
SERVICES = {"monitor", "postgres", "prometheus", "alertmanager", "simulator"}
PROMETHEUS_CONFIG_DIR = PurePosixPath("/etc/prometheus")
SECRETS_IN_CONTAINER = PurePosixPath("/run/secrets")


def _compose_command() -> list[str]:
    """``docker compose`` when the plugin answers, else ``docker-compose``; fail without either."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        done = subprocess.run(
            [*command, "version"], capture_output=True, text=True, check=False, timeout=60
        )
        if done.returncode == 0:
            return command
    pytest.fail(
        "neither `docker compose` nor `docker-compose` works; "
        "install one (apt-get install -y docker-compose; scripts/test does)",
        pytrace=False,
    )


@cache
def _rendered() -> dict[str, Any]:
    """The compose file as Compose resolves it on a fresh checkout (no overriding variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "MONITOR_"))}
    command = [*_compose_command(), "-f", str(COMPOSE_FILE), "config"]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=REPO, env=env, timeout=120
    )
    assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}{done.stderr}"
    document: dict[str, Any] = yaml.safe_load(done.stdout)
    return document


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _rendered()["services"][name]
    return service


def _mounts(service: dict[str, Any]) -> dict[PurePosixPath, str]:
    """Target in the container → source (an absolute host path or a volume name)."""
    mounts: dict[PurePosixPath, str] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):  # docker-compose 1.x: "source:target[:mode]"
            source, target = volume.split(":")[:2]
        else:  # Compose v2: long syntax
            source, target = volume["source"], volume["target"]
        mounts[PurePosixPath(target)] = source
    return mounts


def _secrets(service: dict[str, Any]) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


def _yaml(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def _published_ports(service: dict[str, Any]) -> set[int]:
    ports = set()
    for port in service.get("ports", []):
        target = port["target"] if isinstance(port, dict) else str(port).split(":")[-1]
        ports.add(int(target))
    return ports


def test_compose_config_passes_with_all_five_services() -> None:
    rendered = _rendered()
    assert set(rendered["services"]) == SERVICES
    for name, secret in rendered.get("secrets", {}).items():
        assert Path(secret["file"]).is_file(), f"secret {name}: {secret['file']} is missing"


def test_compose_mounts_the_prometheus_and_alertmanager_files_checked_here() -> None:
    prometheus = _mounts(_service("prometheus"))
    assert prometheus[PROMETHEUS_CONFIG_DIR / "prometheus.yml"] == str(DOCKER / "prometheus.yml")
    for rule_file in _yaml(DOCKER / "prometheus.yml")["rule_files"]:
        # Prometheus resolves rule_files relative to its configuration file, in both places.
        assert prometheus[PROMETHEUS_CONFIG_DIR / rule_file] == str(DOCKER / rule_file)
    # The rules test_prometheus_rules.py unit-tests are the ones loaded.
    assert "prometheus/rules.yml" in _yaml(DOCKER / "prometheus.yml")["rule_files"]
    alertmanager = _mounts(_service("alertmanager"))
    assert alertmanager[PurePosixPath("/etc/alertmanager/alertmanager.yml")] == str(
        DOCKER / "alertmanager.yml"
    )


def test_monitor_and_simulator_read_the_checkout_catalog_scenarios_and_playbooks() -> None:
    monitor = _mounts(_service("monitor"))
    assert monitor[PurePosixPath("/app/examples")] == str(REPO / "examples")
    assert monitor[PurePosixPath("/app/playbooks")] == str(REPO / "playbooks")
    assert _mounts(_service("simulator"))[PurePosixPath("/app/examples")] == str(REPO / "examples")
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "MONITOR_CATALOG_PATH=/app/examples/catalog.yaml" in dockerfile
    assert "MONITOR_PLAYBOOKS_DIR=/app/playbooks" in dockerfile

    command = _service("simulator")["command"]
    assert command[:3] == ["monitor", "sim", "run"]
    options = dict(arg.removeprefix("--").split("=", 1) for arg in command[3:])
    assert (REPO / options["scenario"]).is_file()
    assert options["port"] == "9464"
    # The monitor estimates impact from the records the simulator writes, on a shared volume.
    opdb_url = _service("monitor")["environment"]["MONITOR_OPERATIONAL_DB_URL"]
    assert opdb_url == f"sqlite:///{options['db']}"
    opdb_dir = PurePosixPath(options["db"]).parent
    assert _mounts(_service("simulator"))[opdb_dir] == monitor[opdb_dir]


def test_prometheus_config_is_valid_and_scrapes_the_compose_services() -> None:
    promtool = require_program("promtool")
    done = subprocess.run(
        [promtool, "check", "config", str(DOCKER / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout
    assert "SUCCESS: 10 rules found" in done.stdout

    config = _yaml(DOCKER / "prometheus.yml")
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert targets["simulator"] == "simulator:9464"
    # The simulator exports each component's own up{job,instance}, which ComponentDown reads.
    [simulator] = [job for job in config["scrape_configs"] if job["job_name"] == "simulator"]
    assert simulator["honor_labels"] is True
    assert targets["monitor"] == "monitor:8080"
    [alertmanagers] = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert _service("monitor")["environment"]["MONITOR_PROMETHEUS_URL"] == "http://prometheus:9090"
    assert 9090 in _published_ports(_service("prometheus"))


def test_alertmanager_config_is_valid_and_posts_to_the_monitor_with_its_token() -> None:
    amtool = shutil.which("amtool")
    if amtool is not None:
        done = subprocess.run(
            [amtool, "check-config", str(DOCKER / "alertmanager.yml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    [receiver] = _yaml(DOCKER / "alertmanager.yml")["receivers"]
    [webhook] = receiver["webhook_configs"]
    url = urlsplit(webhook["url"])
    assert (url.hostname, url.port, url.path) == ("monitor", 8080, "/api/v1/ingest/alertmanager")
    assert 8080 in _published_ports(_service("monitor"))
    token_file = PurePosixPath(webhook["http_config"]["authorization"]["credentials_file"])
    assert token_file.parent == SECRETS_IN_CONTAINER
    assert token_file.name in _secrets(_service("alertmanager"))
    assert token_file.name in _secrets(_service("monitor"))


def test_every_monitor_secret_names_a_setting() -> None:
    assert "MONITOR_SECRETS_DIR=/run/secrets" in (DOCKER / "Dockerfile").read_text()
    secrets = _secrets(_service("monitor"))
    assert {"monitor_database_url", "monitor_ingest_token"} <= secrets
    for name in secrets:
        assert name.removeprefix("monitor_") in Settings.model_fields, name
    assert "MONITOR_DATABASE_URL" not in _service("monitor")["environment"]


def test_example_secrets_agree_with_each_other() -> None:
    files = {name: Path(s["file"]) for name, s in _rendered()["secrets"].items()}
    password = files["postgres_password"].read_text().strip()
    url = urlsplit(files["monitor_database_url"].read_text().strip())
    assert (url.hostname, url.port, url.username, url.password) == (
        "postgres",
        5432,
        _service("postgres")["environment"]["POSTGRES_USER"],
        password,
    )
    assert url.path == "/" + _service("postgres")["environment"]["POSTGRES_DB"]


def test_image_is_slim_runs_as_non_root_and_has_a_healthcheck() -> None:
    lines = [
        line.strip() for line in (DOCKER / "Dockerfile").read_text().splitlines() if line.strip()
    ]
    [base] = [line for line in lines if line.startswith("FROM ")]
    assert base.endswith("-slim")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "no USER line"
    assert users[-1] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    copied = {line.split()[1] for line in lines if line.startswith("COPY ")}
    assert {"monitor", "examples", "playbooks"} <= copied
