"""Playbooks load strictly: every problem is refused with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.catalog import Catalog, load_catalog
from monitor.errors import ConfigError
from monitor.playbooks import check_playbooks, load_playbooks
from tests.conftest import EXAMPLE_CATALOG, REPO


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE_CATALOG)


def _write(directory: Path, text: str) -> Path:
    (directory / "templates").mkdir(exist_ok=True)
    path = directory / "book.yaml"
    path.write_text(text)
    return path


def test_the_shipped_playbooks_load_against_the_example_catalog(catalog: Catalog) -> None:
    book = load_playbooks(REPO / "playbooks", catalog)
    assert {p.id for p in book.playbooks} >= {
        "card-payments-transfers",
        "payroll-run",
        "booking-checkin",
        "generic",
    }
    assert book.ordered()[-1].id == "generic"


def test_every_kind_of_problem_is_reported_with_its_line(tmp_path: Path, catalog: Catalog) -> None:
    _write(
        tmp_path,
        """id: broken
name: Broken
trigger:
  touchpoints: [card-payments, teleportation]
steps:
  - slack:
      channel: "#nowhere"
      text: "{{ incident.titel }}"
  - page:
      team: marketing
      text: "{% if %}"
  - customer_message:
      en: missing-file.j2
      fr: "ok"
""",
    )
    _book, problems = check_playbooks(tmp_path, catalog)
    found = {(p.line, p.path) for p in problems}
    assert (4, "trigger.touchpoints.1") in found
    assert (7, "steps.0.slack.channel") in found
    assert (8, "steps.0.slack.text") in found
    assert (10, "steps.1.page.team") in found
    assert (11, "steps.1.page.text") in found
    assert (13, "steps.2.customer_message.en") in found
    messages = " ".join(p.message for p in problems)
    assert "unknown touchpoint 'teleportation'" in messages
    assert "unknown channel '#nowhere'" in messages
    assert "'titel'" in messages
    assert all(p.file.endswith("book.yaml") for p in problems)


def test_an_unknown_step_is_named(tmp_path: Path, catalog: Catalog) -> None:
    _write(
        tmp_path,
        """id: sms
name: SMS
trigger: {}
steps:
  - sms: {text: hi}
""",
    )
    with pytest.raises(ConfigError) as raised:
        load_playbooks(tmp_path, catalog)
    (problem,) = raised.value.problems
    assert problem.line == 5
    assert problem.message.startswith("unknown step 'sms'")


def test_a_step_with_two_actions_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    _write(
        tmp_path,
        """id: two
name: Two
trigger: {}
steps:
  - wait: {minutes: 1}
    slack: {text: hi}
""",
    )
    _book, problems = check_playbooks(tmp_path, catalog)
    assert problems
    assert "exactly one of" in problems[0].message


def test_templates_run_sandboxed(tmp_path: Path, catalog: Catalog) -> None:
    _write(
        tmp_path,
        """id: escape
name: Escape
trigger: {}
steps:
  - slack:
      channel: "#platform"
      text: "{{ incident.__class__.__mro__ }}"
""",
    )
    _book, problems = check_playbooks(tmp_path, catalog)
    assert problems
    assert "template error" in problems[0].message
