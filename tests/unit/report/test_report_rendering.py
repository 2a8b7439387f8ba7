"""Rendering: plain-word summaries, escaped charts and redacted free text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from monitor.report.charts import affected_chart, state_bands
from monitor.report.model import Figure, SeriesPoint, StateSpan, human_duration, plain_duration
from monitor.report.privacy import REDACTED, redact

T0 = datetime(2026, 10, 3, 9, 0, tzinfo=UTC)


def test_figures_read_as_plain_words() -> None:
    assert Figure(1240, 1100, 1400).words("customers") == (
        "about 1,240 customers (between 1,100 and 1,400)"
    )
    assert Figure(12, 12, 12).words("customers") == "12 customers"
    assert Figure(1240, 1100, 1400).interval() == "1,100–1,400"
    assert Figure(1240, 1100, 1400, level=0.8).interval() == "1,100–1,400 (80%)"
    assert plain_duration(timedelta(minutes=65)) == "1 hour and 5 minutes"
    assert plain_duration(timedelta(hours=2)) == "2 hours"
    assert human_duration(timedelta(seconds=3900)) == "1 h 05 min"
    assert human_duration(None) == "—"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Customer C0077231 called twice", "called twice"),
        ("mail from jane.doe@example.com", "mail from"),
        ("IBAN FR7630006000011234567890189 bounced", "bounced"),
        ("card 4111 1111 1111 1111 declined", "declined"),
        ("customer_id=88421 and cust-884213", "and"),
        ("passenger PNR X7Y8Z9 missed the flight", "missed the flight"),
        ("ref 123e4567-e89b-12d3-a456-426614174000", "ref"),
    ],
)
def test_customer_references_are_redacted_from_free_text(text: str, kept: str) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned
    assert kept in cleaned
    assert not any(ch.isdigit() for ch in cleaned.replace(kept, ""))


def test_ordinary_words_and_counts_are_left_alone() -> None:
    text = "About 1,240 customers could not pay; 3 retries at 17:05 on db-primary-eu"
    assert redact(text) == text


def test_the_affected_chart_is_valid_svg_with_one_line_per_touchpoint_and_escaped_names() -> None:
    series = {
        "card-payments": tuple(
            SeriesPoint(T0 + timedelta(minutes=m), 10 * m, 9 * m, 11 * m, 500) for m in (5, 10)
        ),
        "transfers": (SeriesPoint(T0 + timedelta(minutes=10), 40, 30, 50),),
    }
    svg = affected_chart(
        series,
        names={"card-payments": "Cards <&> co", "transfers": "Transfers"},
        start=T0,
        end=T0 + timedelta(minutes=10),
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 3  # two estimates and the normal traffic of card payments
    assert "Cards &lt;&amp;&gt; co: 100" in svg
    assert affected_chart({}, names={}, start=T0, end=T0 + timedelta(minutes=1)) == ""


def test_state_bands_place_each_span_within_the_incident() -> None:
    svg = state_bands(
        {"card-payments": (StateSpan("major_outage", T0, T0 + timedelta(minutes=30)),)},
        names={"card-payments": "Card payments"},
        start=T0,
        end=T0 + timedelta(minutes=60),
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    outage = [r for r in root.iter(f"{ns}rect") if r.get("fill") == "#d92d20"]
    band, legend = outage
    assert float(band.get("width", 0)) == pytest.approx((720 - 16 - 200) / 2, abs=0.2)
    assert legend.get("width") == "10"
