"""Signals at the door: strict fields, located errors, references never shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.domain import ScoreKind
from monitor.errors import InputError
from monitor.signals import parse_signal, pseudonymise

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
TOUCHPOINTS = {"card-payments"}


def parse(raw: object, **extra: bool) -> object:
    return parse_signal(raw, where="signals[2]", now=NOW, touchpoints=TOUCHPOINTS, **extra)


def base(**fields: object) -> dict[str, object]:
    return {"source": "zendesk", "time": "2025-03-15T11:00:00+01:00", "channel": "chat"} | fields


def test_a_valid_signal_is_normalised() -> None:
    draft = parse_signal(
        base(text="  carte refusée ", score=3, score_kind="CSAT", customer=" C1 "),
        where="signal",
        now=NOW,
        touchpoints=TOUCHPOINTS,
    )
    assert draft.occurred_at == datetime(2025, 3, 15, 10, 0, tzinfo=UTC)
    assert draft.text == "carte refusée"
    assert draft.score == 3
    assert draft.score_kind is ScoreKind.CSAT
    assert draft.customer == "C1"
    assert "C1" not in repr(draft)
    assert "carte" not in repr(draft)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "signals[2]: expected an object"),
        (base(text="x", colour="red"), "signals[2].colour: unknown field"),
        (base(time="yesterday", text="x"), "signals[2].time: not a RFC 3339 time"),
        (base(time="2025-03-15T10:00:00", text="x"), "signals[2].time: needs a time zone"),
        (base(time="2025-03-16T10:00:00Z", text="x"), "signals[2].time: in the future"),
        (base(), "signals[2]: a signal needs `text` or `score`"),
        (base(score=11, score_kind="nps"), "signals[2].score: nps scores go from 0 to 10"),
        (base(score=0, score_kind="csat"), "signals[2].score: csat scores go from 1 to 5"),
        (base(score=3), "signals[2].score: `score` and `score_kind` go together"),
        (base(score=True, score_kind="nps"), "signals[2].score: expected an integer"),
        (base(text="x", touchpoint="teleport"), "signals[2].touchpoint: 'teleport' is not"),
        (base(text="x", source="Bad Source!"), "signals[2].source: must match"),
        (base(text="x", customer=7), "signals[2].customer: expected a string"),
    ],
)
def test_problems_are_refused_with_their_location(raw: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(raw)
    assert str(caught.value).startswith(message)


def test_zone_less_times_are_utc_for_imports() -> None:
    draft = parse_signal(
        base(time="2025-03-15 10:00:00.000000", text="x"),
        where="line 1",
        now=NOW,
        touchpoints=TOUCHPOINTS,
        naive_is_utc=True,
    )
    assert draft.occurred_at == datetime(2025, 3, 15, 10, 0, tzinfo=UTC)


def test_pseudonyms_are_stable_keyed_and_ignore_case_and_spaces() -> None:
    key = b"k" * 32
    assert pseudonymise("C021719", key=key) == pseudonymise(" c021719 ", key=key)
    assert pseudonymise("C021719", key=key) != pseudonymise("C021719", key=b"j" * 32)
    assert "C021719" not in pseudonymise("C021719", key=key)
    assert len(pseudonymise("C021719", key=key)) == 64
