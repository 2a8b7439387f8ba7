"""Pytest fixtures around ``tests.support.processes``.

Load them with ``pytest_plugins = ["tests.support.fixtures"]`` in a conftest,
or import the fixture names into a test module. Each factory fixture starts
as many programs as a test asks for and stops them all at teardown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.support.processes import (
    MissingProgramError,
    RunningProgram,
    WebhookReceiver,
    require_program,
    run_alertmanager,
    run_prometheus,
    webhook_receiver,
)
from tests.support.slack_server import SlackServer, slack_server


class StartPrometheus(Protocol):
    def __call__(
        self,
        *,
        rule_files: Sequence[Path] = (),
        scrape_configs: Sequence[Mapping[str, Any]] = (),
        interval: str = "1s",
    ) -> RunningProgram: ...


class StartAlertmanager(Protocol):
    def __call__(self, *, config: Mapping[str, Any]) -> RunningProgram: ...


def _require(name: str) -> None:
    try:
        require_program(name)
    except MissingProgramError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[StartPrometheus]:
    """Call it to start a real Prometheus; ``.url`` is its base URL."""
    _require("prometheus")
    counter = itertools.count(1)
    with ExitStack() as stack:

        def start(
            *,
            rule_files: Sequence[Path] = (),
            scrape_configs: Sequence[Mapping[str, Any]] = (),
            interval: str = "1s",
        ) -> RunningProgram:
            workdir = tmp_path / f"prometheus-{next(counter)}"
            return stack.enter_context(
                run_prometheus(
                    workdir, rule_files=rule_files, scrape_configs=scrape_configs, interval=interval
                )
            )

        yield start


@pytest.fixture
def alertmanager_factory(tmp_path: Path) -> Iterator[StartAlertmanager]:
    """Call it with an Alertmanager configuration (a dict) to start a real Alertmanager."""
    _require("prometheus-alertmanager")
    counter = itertools.count(1)
    with ExitStack() as stack:

        def start(*, config: Mapping[str, Any]) -> RunningProgram:
            workdir = tmp_path / f"alertmanager-{next(counter)}"
            return stack.enter_context(run_alertmanager(workdir, config=config))

        yield start


@pytest.fixture
def webhook_server() -> Iterator[WebhookReceiver]:
    """A loopback HTTP server recording every POST body as raw bytes."""
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    """A loopback server speaking Slack's Web API (and recording webhooks); see slack_server."""
    with slack_server() as server:
        yield server
