from __future__ import annotations

import json

import pytest

from monitor.ingest.fingerprint import is_fingerprint, labelset_fingerprint
from tests.support.payloads import captured_payloads

CAPTURED = [
    (alert["labels"], alert["fingerprint"])
    for body in captured_payloads().values()
    for alert in json.loads(body)["alerts"]
]


@pytest.mark.parametrize(("labels", "fingerprint"), CAPTURED)
def test_fingerprint_equals_the_one_alertmanager_computed(labels, fingerprint):
    assert labelset_fingerprint(labels) == fingerprint


def test_captured_fingerprints_cover_non_ascii_values():
    assert any(any(not v.isascii() for v in labels.values()) for labels, _ in CAPTURED)


def test_empty_label_set_is_the_fnv_offset_basis():
    # Go: model.LabelSet{}.Fingerprint() == emptyLabelSignature == hashNew()
    assert labelset_fingerprint({}) == "cbf29ce484222325"


def test_fingerprint_ignores_insertion_order():
    assert labelset_fingerprint({"a": "1", "b": "2"}) == labelset_fingerprint({"b": "2", "a": "1"})


def test_separator_keeps_name_and_value_boundaries_apart():
    assert labelset_fingerprint({"ab": "c"}) != labelset_fingerprint({"a": "bc"})
    assert labelset_fingerprint({"a": "b", "c": ""}) != labelset_fingerprint({"a": "bc"})


def test_fingerprint_is_sixteen_lower_case_hex_digits():
    value = labelset_fingerprint({"alertname": "x"})
    assert is_fingerprint(value)
    assert not is_fingerprint(value.upper())
    assert not is_fingerprint(value[:-1])
    assert not is_fingerprint(value + "\n")
