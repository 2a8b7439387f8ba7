"""Whatever arrives over HTTP, the parsers either parse it or raise InputError.

Each test counts the examples it tried (``tests.support.fuzz_counts``).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import InputError
from monitor.ingest import IngestLimits, parse_alertmanager, parse_events
from monitor.ingest.alertmanager import parse_item_by_item, screen_alertmanager
from tests.support.fuzz_counts import tried

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = IngestLimits(max_labels=4, max_label_value=16, max_annotation_value=16)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
times = st.sampled_from(
    [
        "2024-05-01T11:00:00Z",
        "2024-05-01T11:00:00.123456789+02:00",
        "0001-01-01T00:00:00Z",
        "1999-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "",
    ]
) | st.text(max_size=30)
label_names = st.sampled_from(["alertname", "service", "a b", "", "_x", "9"]) | st.text(max_size=5)
label_maps = st.dictionaries(label_names, st.text(max_size=20) | scalars, max_size=6)
valid_names = st.sampled_from(["alertname", "service", "role", "instance", "_x"])
valid_labels = st.dictionaries(valid_names, st.text(max_size=20), min_size=1, max_size=5)
good_times = st.sampled_from(["2024-05-01T11:00:00Z", "2024-05-01T11:00:00.123456789+02:00"])
# Mostly well-formed alerts, so that acceptance is exercised as well as every rejection.
alert_like = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]) | scalars,
        "labels": valid_labels | label_maps,
        "startsAt": good_times | times,
    },
    optional={
        "annotations": label_maps,
        "endsAt": good_times | times,
        "generatorURL": st.text(max_size=10) | scalars,
        "fingerprint": st.sampled_from(["0123456789abcdef", "xyz"]) | scalars,
    },
)
envelopes = st.fixed_dictionaries(
    {"version": st.just("4"), "alerts": st.lists(alert_like | json_values, max_size=5)},
    optional={
        "receiver": st.text(max_size=5) | scalars,
        "truncatedAlerts": st.integers(),
        "groupKey": scalars,
    },
)


def check(body: bytes, *, parser: Any, key: str) -> None:
    try:
        batch = parser(body, now=NOW, limits=LIMITS)
    except InputError:
        return
    items = json.loads(body)[key]
    assert len(batch.alerts) + len(batch.rejected) == len(items)
    for rejected in batch.rejected:
        assert rejected.reason.startswith(f"{key}[{rejected.index}]")
    for alert in batch.alerts:
        assert len(alert.fingerprint) == 16


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_never_raise_anything_but_input_error(body):
    tried()
    for parser in (parse_alertmanager, parse_events):
        with contextlib.suppress(InputError):
            parser(body, now=NOW, limits=LIMITS)


@FUZZ
@given(json_values)
def test_random_json_never_raises_anything_but_input_error(value):
    tried()
    body = json.dumps(value).encode()
    for parser in (parse_alertmanager, parse_events):
        with contextlib.suppress(InputError):
            parser(body, now=NOW, limits=LIMITS)


@FUZZ
@given(envelopes)
def test_alertmanager_shaped_payloads_parse_or_reject_item_by_item(document):
    tried()
    check(json.dumps(document).encode(), parser=parse_alertmanager, key="alerts")


event_like = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["nagios", "Bad Source"]) | scalars,
        "name": st.sampled_from(["PostgresDown", "BackupFailed"]) | st.text(max_size=8) | scalars,
        "status": st.sampled_from(["firing", "resolved"]) | scalars,
        "started_at": good_times | times,
    },
    optional={
        "ended_at": good_times | times | scalars,
        "severity": st.text(max_size=5) | scalars,
        "labels": valid_labels | label_maps | json_values,
        "summary": st.text(max_size=20) | scalars,
        "dedup_key": st.text(max_size=5) | scalars,
        "extra": scalars,
    },
)


@FUZZ
@given(st.lists(event_like | json_values, max_size=5))
def test_event_payloads_parse_or_reject_item_by_item(events):
    tried()
    check(json.dumps({"events": events}).encode(), parser=parse_events, key="events")


DEFAULTS = IngestLimits()
# Around the default limits too: the one-call validation must refuse what the checks refuse.
long_values = st.sampled_from(
    ["v" * DEFAULTS.max_label_value, "v" * (DEFAULTS.max_label_value + 1)]
)
many_labels = st.just({f"l{i}": "x" for i in range(DEFAULTS.max_labels + 1)})
storm_alert = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]) | scalars,
        "labels": valid_labels | label_maps | many_labels,
        "startsAt": good_times | times,
    },
    optional={
        "annotations": label_maps | st.dictionaries(valid_names, long_values, max_size=2),
        "endsAt": good_times | times,
        "generatorURL": st.sampled_from(["http://prometheus/graph", "ftp://x"]) | scalars,
        "fingerprint": st.sampled_from(["0123456789abcdef", "xyz"]) | scalars,
    },
)
storm_bodies = st.fixed_dictionaries(
    {"version": st.just("4"), "alerts": st.lists(storm_alert, max_size=4)},
    optional={"receiver": st.text(max_size=5) | scalars, "truncatedAlerts": st.integers()},
)


@FUZZ
@given(storm_bodies, st.booleans())
def test_the_fast_parse_and_the_screen_agree_with_the_item_by_item_parse(document, escape):
    tried()
    body = json.dumps(document, ensure_ascii=escape).encode()
    try:
        full = parse_item_by_item(body, now=NOW, limits=DEFAULTS)
    except InputError:
        with pytest.raises(InputError):
            parse_alertmanager(body, now=NOW, limits=DEFAULTS)
        assert screen_alertmanager(body, now=NOW, limits=DEFAULTS) is None
        return
    assert parse_alertmanager(body, now=NOW, limits=DEFAULTS) == full
    screened = screen_alertmanager(body, now=NOW, limits=DEFAULTS)
    if screened is not None:
        assert not full.rejected
        assert screened.count == len(full.alerts)
        assert screened.meta == full.meta
