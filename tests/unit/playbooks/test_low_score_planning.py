"""Low-score playbooks: their steps run once per followed-up score, not with the incident."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.catalog import Catalog, load_catalog
from monitor.domain import IncidentState, IntentAction, TouchpointState
from monitor.errors import ConfigError
from monitor.notify.blocks import head_blocks, head_text
from monitor.playbooks import IncidentView, PlaybookSet, load_playbooks, plan_incident
from monitor.playbooks.context import sample_view, template_context
from tests.conftest import EXAMPLE_CATALOG, REPO

AT = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
REF = "ab" * 32


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(EXAMPLE_CATALOG)


@pytest.fixture(scope="module")
def book(catalog: Catalog) -> PlaybookSet:
    return load_playbooks(REPO / "playbooks", catalog)


def score(signal_id: int, value: int, kind: str = "nps") -> dict[str, Any]:
    return {
        "kind": "low_score",
        "customer_ref": REF,
        "score": value,
        "score_kind": kind,
        "signal_id": signal_id,
        "source": "survey",
        "touchpoint": "card-payments",
        "at": (AT + timedelta(hours=3)).isoformat(),
    }


def card_outage(catalog: Catalog, *scores: dict[str, Any], **changes: Any) -> IncidentView:
    base = sample_view(catalog, now=AT + timedelta(hours=4))
    states = {"card-payments": TouchpointState.MAJOR_OUTAGE}
    fields: dict[str, Any] = {"touchpoints": states, "peak_touchpoints": states, "opened_at": AT}
    incident = replace(base.incident, **(fields | changes))
    return replace(base, incident=incident, low_scores=tuple(scores), signals=None)


def follow_ups(intents: list[Any]) -> list[Any]:
    return [i for i in intents if i.playbook == "low-score-follow-up"]


def test_each_low_score_calls_support_the_owning_team_and_the_crm_once(
    book: PlaybookSet, catalog: Catalog
) -> None:
    view = card_outage(catalog, score(41, 3), score(42, 1, "csat"))
    plan = plan_incident(book, view, catalog, planned=())
    found = follow_ups(plan.intents)
    assert [i.action for i in found] == [IntentAction.WEBHOOK] * 6
    assert [i.payload["target"] for i in found[:3]] == [
        "support-follow-up",
        "team-tickets",
        "crm-notes",
    ]
    support = found[0].payload["body"]
    assert support["customer_ref"] == REF
    assert support["score"] == "nps 3"
    assert support["touchpoint"] == "Card payments"
    assert found[1].payload["body"]["team"] == "payments"
    assert found[0].key.endswith(":low_score.0:s41")
    assert found[3].key.endswith(":low_score.0:s42")
    assert "low-score-follow-up" not in plan.triggered
    again = plan_incident(book, view, catalog, planned={i.key for i in plan.intents})
    assert follow_ups(again.intents) == []


def test_no_low_score_no_follow_up_and_the_incident_plan_is_unchanged(
    book: PlaybookSet, catalog: Catalog
) -> None:
    quiet = plan_incident(book, card_outage(catalog), catalog, planned=())
    scored = plan_incident(book, card_outage(catalog, score(7, 0)), catalog, planned=())
    assert follow_ups(quiet.intents) == []
    assert [i.key for i in scored.intents if i.playbook != "low-score-follow-up"] == [
        i.key for i in quiet.intents
    ]


def test_a_resolved_incident_still_follows_up_scores_that_come_later(
    book: PlaybookSet, catalog: Catalog
) -> None:
    view = card_outage(
        catalog,
        score(9, 2),
        state=IncidentState.RESOLVED,
        resolved_at=AT + timedelta(hours=1),
        touchpoints={},
    )
    found = follow_ups(plan_incident(book, view, catalog, planned=()).intents)
    assert len(found) == 3
    assert found[2].payload["body"]["note"].startswith("Affected by incident 1")


def test_the_trigger_threshold_and_conditions_choose_the_scores(
    tmp_path: Path, catalog: Catalog
) -> None:
    (tmp_path / "strict.yaml").write_text(
        """id: strict
name: Only the angriest card customers
trigger:
  touchpoints: [card-payments]
  low_score: {nps_at_most: 3, csat_at_most: 1}
steps:
  - webhook:
      target: crm-notes
      body: {ref: "{{ low_score.customer_ref }}", score: "{{ low_score.score }}"}
"""
    )
    book = load_playbooks(tmp_path, catalog)
    view = card_outage(catalog, score(1, 3), score(2, 4), score(3, 1, "csat"), score(4, 2, "csat"))
    keys = [i.key.rsplit(":", 1)[1] for i in plan_incident(book, view, catalog, planned=()).intents]
    assert keys == ["s1", "s3"]
    elsewhere = replace(
        view,
        incident=replace(
            view.incident,
            touchpoints={"transfers": TouchpointState.MAJOR_OUTAGE},
            peak_touchpoints={"transfers": TouchpointState.MAJOR_OUTAGE},
        ),
    )
    assert plan_incident(book, elsewhere, catalog, planned=()).intents == []


def test_a_low_score_playbook_cannot_repeat_or_run_on_resolve(
    tmp_path: Path, catalog: Catalog
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "bad.yaml").write_text(
        """id: bad
name: Bad
trigger: {low_score: {nps_at_most: 8}}
steps:
  - repeat: {every_minutes: 5, steps: [{slack: {channel: "#payments", text: hi}}]}
on_resolve:
  - slack: {channel: "#payments", text: "{{ low_score.score }}"}
"""
    )
    with pytest.raises(ConfigError) as caught:
        load_playbooks(tmp_path, catalog)
    assert "nps_at_most" in str(caught.value)


def test_the_head_message_shows_what_customers_said_per_touchpoint(catalog: Catalog) -> None:
    view = replace(
        card_outage(catalog),
        signals={
            "complaints": 11,
            "customers": 9,
            "low_scores": 2,
            "by_touchpoint": {"card-payments": {"complaints": 11, "customers": 9, "low_scores": 2}},
        },
    )
    context = template_context(view, catalog)
    assert context["signals"]["text"] == (
        "Card payments: 9 customers complained (11 messages), 2 low scores"
    )
    assert context["touchpoints"][0]["signals"] == {
        "complaints": 11,
        "customers": 9,
        "low_scores": 2,
    }
    blocks = head_blocks(context)
    said = [b for b in blocks if "Customer signals" in str(b)]
    assert len(said) == 1
    assert "9 customers complained" in said[0]["text"]["text"]
    assert "Customer signals: Card payments: 9 customers" in head_text(context)
    silent = template_context(card_outage(catalog), catalog)
    assert silent["signals"]["text"] == ""
    assert not [b for b in head_blocks(silent) if "Customer signals" in str(b)]
